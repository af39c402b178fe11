// A discharge whose letter did not reach the record alerts someone the hospital names: a Task
// for the owner named by FHIR_DISCHARGE_DEAD_LETTER_ALERT_OWNER (the ED secretariat), written by
// fhir-discharge's deliverer (fhir_discharge/core/dead_letter.py; README, "What the hospital
// must monitor"). The codes are dead_letter.ALERT_CODES (tests/integration/test_dead_letter.py compares them).

CodeSystem: LbpDischargeAlert
Id: lbp-discharge-alert
Title: "Low back pain pathway: a discharge that did not reach the record"
Description: "What the alert Task asks (Task.code), why the discharge did not reach the FHIR server (Task.reasonCode), and what its inputs are (Task.input.type)."
* insert ConformanceMetadata
* ^caseSensitive = true
* ^content = #complete
* #letter-not-delivered "The discharge did not reach the FHIR server: hand the letter over another way, or re-drive the discharge once its cause is fixed"
* #refused "The FHIR server refused the discharge's transaction"
* #identity-conflict "The FHIR server holds another patient's record under the record's identifiers"
* #attempts-exhausted "The FHIR server did not take the discharge in the attempts allowed"
* #changed-at-rest "The discharge changed in fhir-discharge's outbox after it was accepted: not delivered"
* #discharge "The discharge's id in fhir-discharge's outbox (/discharges/{id})"

ValueSet: LbpDischargeAlertReason
Id: lbp-discharge-alert-reason
Title: "Low back pain pathway: why a discharge did not reach the record"
Description: "Why fhir-discharge gave a discharge up: the FHIR server refused its transaction, holds another patient's record under its identifiers, or did not take it in the attempts allowed; or fhir-discharge's outbox found the discharge changed since it was accepted."
* insert ConformanceMetadata
* LbpDischargeAlert#refused
* LbpDischargeAlert#identity-conflict
* LbpDischargeAlert#attempts-exhausted
* LbpDischargeAlert#changed-at-rest

Profile: LbpDeadLetterTask
Parent: Task
Id: lbp-dead-letter-task
Title: "LBP discharge that did not reach the record (Task for the ED secretariat)"
Description: "fhir-discharge gave this discharge up: its letter, care plan, follow-up Tasks and message to the GP are not on the FHIR server. Written as requested and urgent for the owner the hospital names; the letter (focus) by its business identifier, the patient and the encounter as the letter references them, why in reasonCode (a code, and a summary of the failure without patient data), the discharge's id in fhir-discharge's outbox as input (to re-drive it: POST /discharges/{id}/$redeliver). The owner searches Task?status=requested&code=https://fhir.uzleuven.be/discharge/CodeSystem/lbp-discharge-alert|letter-not-delivered&owner=..., hands the letter over or has the discharge re-driven, and completes the Task."
* insert ConformanceMetadata
* language 1..1 MS
* identifier 1..* MS
* status MS
* intent = #order
* intent MS
* priority 1..1 MS
* code 1..1 MS
* code = LbpDischargeAlert#letter-not-delivered
* description 1..1 MS
* focus 1..1 MS
* focus only Reference(Composition)
* focus.identifier 1..1 MS
* for 1..1 MS
* for only Reference(Patient)
* encounter 1..1 MS
* encounter only Reference(Encounter)
* authoredOn 1..1 MS
* owner 1..1 MS
* owner only Reference(Organization or PractitionerRole)
* reasonCode 1..1 MS
* reasonCode from LbpDischargeAlertReason (required)
* reasonCode.text 1..1 MS
* reasonCode.text ^short = "A summary of the failure's OperationOutcome: no patient data"
* input 1..1 MS
* input.type = LbpDischargeAlert#discharge
* input.value[x] only string
