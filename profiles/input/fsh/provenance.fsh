// What a discharge wrote, for whom, from what and by which version of the service
// (fhir_discharge/core/provenance.py). The codes are fhir_discharge/core/codes.py's
// PROVENANCE_* (verified in the R4 package; docs/terminology.md).

Alias: $DataOperation = http://terminology.hl7.org/CodeSystem/v3-DataOperation

Profile: LbpDischargeProvenance
Parent: Provenance
Id: lbp-discharge-provenance
Title: "LBP ED discharge: what the discharge wrote"
Description: "One per discharge, in the same transaction: target = every resource the discharge writes as its own (the letter, the brochure reference, the care plan, the two follow-up Tasks, the Communication to the GP and the eHealthBox Task when there are, the stored document), not the record carried with the letter; agent = the physician who signs the letter (author) and fhir-discharge itself (assembler: a Device of its version, lbp-discharge-service, on behalf of the hospital); entity = the red-flag screening and the Encounter (source); recorded = the letter's date (the encounter's end); activity = v3-DataOperation CREATE. R4 Provenance has no identifier: a repeated discharge finds it by its meta.tag (system urn:ietf:rfc:3986, a urn:uuid derived from the encounter) and writes nothing twice."
* insert ConformanceMetadata
* meta.tag 1..* MS
* meta.tag ^short = "The discharge's own tag (urn:ietf:rfc:3986 | urn:uuid:...): what a repeat finds this Provenance by"
* language 1..1 MS
* target 6..* MS
* recorded MS
* activity 1..1 MS
* activity = $DataOperation#CREATE
* agent 2..* MS
* agent.type 1..1 MS
* agent.who MS
* agent.who only Reference(Practitioner or PractitionerRole or Device)
// Counted by invariants rather than by slicing on agent.type: Provenance.entity.agent reuses
// Provenance.agent's definition, and a slice of agent is not read by every validator (e.g. not
// by Medplum's, which the project's tests use).
* obeys lbp-provenance-author and lbp-provenance-service
* entity 2..* MS
* entity.role = #source
* entity.what only Reference(QuestionnaireResponse or Encounter)

Invariant: lbp-provenance-author
Description: "One agent is the physician who signs the letter: type author (provenance-participant-type), a Practitioner or PractitionerRole."
Expression: "agent.where(type.coding.exists(system = 'http://terminology.hl7.org/CodeSystem/provenance-participant-type' and code = 'author') and who.reference.exists()).count() = 1"
Severity: #error

Invariant: lbp-provenance-service
Description: "One agent is fhir-discharge itself: type assembler (provenance-participant-type), the Device of its version, named with its version (who.display), on behalf of the hospital (onBehalfOf)."
Expression: "agent.where(type.coding.exists(system = 'http://terminology.hl7.org/CodeSystem/provenance-participant-type' and code = 'assembler') and who.reference.exists() and who.display.exists() and onBehalfOf.exists()).count() = 1"
Severity: #error

Profile: LbpDischargeService
Parent: Device
Id: lbp-discharge-service
Title: "fhir-discharge, one version"
Description: "The service that writes the discharge letter, as the Provenance's assembler: one Device per version, written once (a conditional create on its identifier https://fhir.uzleuven.be/discharge/sid/service-version | fhir-discharge/<version>)."
* insert ConformanceMetadata
* identifier 1..* MS
* identifier.system 1..1
* identifier.value 1..1
* identifier ^short = "https://fhir.uzleuven.be/discharge/sid/service-version | fhir-discharge/<version>"
* status = #active
* deviceName 1..* MS
* deviceName.name = "fhir-discharge" (exactly)
* version 1..* MS
* version.value MS
