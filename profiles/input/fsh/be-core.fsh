// HL7 Belgium's federal core profiles (hl7.fhir.be.core 2.1.2, profiles/dependencies.json): the
// parties of the letter are typed to BePatient, BePractitioner, BePractitionerRole and
// BeOrganization, so a receiving system that holds be-core checks the patient's SSIN and the
// NIHDI numbers of the physicians and the hospital as Belgium defines them.
//
// `only Reference(<be-core profile>)` would need the be-core package in SUSHI's package cache at
// build time, and no registry the build reaches publishes it. So the reference is first narrowed
// to the base resource type, then its targetProfile is set to be-core's canonical URL: a SUSHI
// build of the same profiles with hl7.fhir.be.core#2.1.2 as a dependency and
// `only Reference(<be-core profile>)` writes the same StructureDefinitions, byte for byte.

RuleSet: BeCoreTarget(element, index, profile)
* {element} ^type[0].targetProfile[{index}] = "https://www.ehealth.fgov.be/standards/fhir/core/StructureDefinition/{profile}"

// The GP's copy of the letter: the Communication that sends it (fhir_discharge/core/communication.py,
// and the eHealthBox's KMEHR message beside it: core/ehealthbox.py).
Profile: LbpGpLetterCommunication
Parent: Communication
Id: lbp-gp-letter-communication
Title: "LBP ED discharge letter sent to the GP (Communication)"
Description: "The letter to the patient's general practitioner, sent: completed, about the patient, of the encounter, from the hospital, to the GP (a BePractitioner, BePractitionerRole or BeOrganization, or the GP's NIHDI number as a logical reference), its payload the letter (and, for the eHealthBox, the KMEHR message as an attachment)."
* insert ConformanceMetadata
* language 1..1 MS
* identifier 1..* MS
* status = #completed
* status MS
* subject 1..1 MS
* subject only Reference(Patient)
* insert BeCoreTarget(subject, 0, be-patient)
* encounter 1..1 MS
* encounter only Reference(Encounter)
* sent 1..1 MS
* recipient 1..1 MS
* recipient only Reference(Practitioner or PractitionerRole or Organization)
* insert BeCoreTarget(recipient, 0, be-practitioner)
* insert BeCoreTarget(recipient, 1, be-practitionerrole)
* insert BeCoreTarget(recipient, 2, be-organization)
* sender 1..1 MS
* sender only Reference(Organization)
* insert BeCoreTarget(sender, 0, be-organization)
* payload 1..* MS
