// The letter as the attested FHIR document the discharge's transaction stores
// (fhir_discharge/core/stored_document.py; README, "The GP receives the letter"). The
// Communication to the GP points to it; the service's `$document` serves it as stored.

Profile: LbpGpLetterDocument
Parent: Bundle
Id: lbp-gp-letter-document
Title: "LBP ED discharge letter as the attested document"
Description: "The GP letter as the physician attested it, stored once by the discharge's transaction: a document Bundle (identifier, timestamp = the letter's date), the letter (a Composition claiming lbp-gp-letter) first, then every resource it references, directly or not, each a copy as written at discharge. Self-contained: the entries' fullUrls are RESTful URLs under https://fhir.uzleuven.be/discharge/document/ (never a urn:uuid, which a FHIR server rewrites or refuses inside a transaction) and the entries reference each other relatively (Type/id), resolving inside the document. The Communication to the GP points to it; fhir-discharge's Composition/[id]/$document serves it as the FHIR server stores it, once its version and content are shown to be those attested."
* insert ConformanceMetadata
* identifier 1..1 MS
* identifier.system 1..1
* identifier.system = "urn:ietf:rfc:3986" (exactly)
* identifier.value 1..1
* type = #document
* type MS
* timestamp 1..1 MS
* entry 2..* MS
* entry.fullUrl 1..1 MS
* entry.resource 1..1 MS
* entry.search 0..0
* entry.request 0..0
* entry.response 0..0
* obeys lbp-document-letter-first and lbp-document-own-entries

Invariant: lbp-document-letter-first
Description: "The first entry is the letter: a Composition claiming the GP letter profile (lbp-gp-letter)."
Expression: "entry.first().resource.is(Composition) and entry.first().resource.meta.profile.exists($this = 'https://fhir.uzleuven.be/discharge/StructureDefinition/lbp-gp-letter')"
Severity: #error

Invariant: lbp-document-own-entries
Description: "Every entry is a copy as written at discharge, with a RESTful fullUrl under https://fhir.uzleuven.be/discharge/document/ (never a urn:uuid, never a FHIR server's own URL); R4 already has it end with the entry's type and id."
Expression: "entry.all(fullUrl.startsWith('https://fhir.uzleuven.be/discharge/document/'))"
Severity: #error
