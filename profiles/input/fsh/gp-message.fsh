// The letter's way into the GP's record: a KMEHR message for the eHealthBox, carried by the
// Communication to the GP, and the Task the hospital's integration engine works from
// (fhir_discharge/core/gp_message/ehealthbox.py; README, "The GP's eHealthBox"). The codes are
// ehealthbox.GP_MESSAGE_CODES (tests/unit/test_ehealthbox.py compares them).

CodeSystem: LbpGpMessage
Id: lbp-gp-message
Title: "Low back pain pathway: the letter to the GP's eHealthBox"
Description: "What the Task for the hospital's integration engine asks (Task.code: send the Communication's KMEHR message to the GP's eHealthBox), and where it stands (Task.businessStatus: set to to-send by fhir-discharge, then by the engine)."
* insert ConformanceMetadata
* ^caseSensitive = true
* ^content = #complete
* #kmehr-ehealthbox "Send the letter to the GP's eHealthBox as a KMEHR message"
* #to-send "Waiting for the hospital's integration engine to send it"
* #sent "The eHealthBox accepted the message for the GP"
* #received "The GP's eHealthBox acknowledged receipt"
* #read "The GP's eHealthBox acknowledged it was read"
* #failed "Not sent: the eHealthBox refused it, or the engine gave up (see statusReason)"

ValueSet: LbpGpMessageStatus
Id: lbp-gp-message-status
Title: "Low back pain pathway: where the letter to the GP's eHealthBox stands"
Description: "The business statuses of the Task that has the hospital's integration engine send the letter's KMEHR message to the GP's eHealthBox."
* insert ConformanceMetadata
* LbpGpMessage#to-send
* LbpGpMessage#sent
* LbpGpMessage#received
* LbpGpMessage#read
* LbpGpMessage#failed

Profile: LbpGpMessageTask
Parent: Task
Id: lbp-gp-message-task
Title: "LBP letter to the GP's eHealthBox (Task for the integration engine)"
Description: "Send the KMEHR message the focus Communication carries (payload: the letter, then the KMEHR message as an application/xml attachment; recipient.identifier the GP's NIHDI number, subject.identifier the patient's SSIN, an identifier with the eHealthBox publication id) to the GP's eHealthBox. Written by fhir-discharge as requested/to-send, owned by the hospital; the integration engine searches Task?status=requested&code=https://fhir.uzleuven.be/discharge/CodeSystem/lbp-gp-message|kmehr-ehealthbox, takes it (in-progress), and completes it (sent, received, read) or fails it (failed, with statusReason)."
* insert ConformanceMetadata
* language 1..1 MS
* identifier 1..* MS
* status MS
* status from LbpGpMessageTaskStatus (required)
* businessStatus 1..1 MS
* businessStatus from LbpGpMessageStatus (required)
* intent = #order
* intent MS
* code 1..1 MS
* code = LbpGpMessage#kmehr-ehealthbox
* description 1..1 MS
* focus 1..1 MS
* focus only Reference(Communication)
* for 1..1 MS
* for only Reference(Patient)
* encounter 1..1 MS
* encounter only Reference(Encounter)
* authoredOn 1..1 MS
* requester 1..1 MS
* requester only Reference(Practitioner or PractitionerRole)
* owner 1..1 MS
* owner only Reference(Organization or Device)
* statusReason MS
* statusReason ^short = "Why it failed (the eHealthBox's error), when status is failed: no patient data"
* obeys lbp-gp-message-failed-reason

ValueSet: LbpGpMessageTaskStatus
Id: lbp-gp-message-task-status
Title: "Low back pain pathway: the statuses of the Task for the integration engine"
Description: "requested (written by fhir-discharge), in-progress (taken by the engine), completed (the eHealthBox took it), failed (it did not: statusReason says why), cancelled (no longer to send, e.g. handed over on paper)."
* insert ConformanceMetadata
* http://hl7.org/fhir/task-status#requested
* http://hl7.org/fhir/task-status#in-progress
* http://hl7.org/fhir/task-status#completed
* http://hl7.org/fhir/task-status#failed
* http://hl7.org/fhir/task-status#cancelled

Invariant: lbp-gp-message-failed-reason
Description: "A failed Task says why (statusReason), so whoever sees it can act: hand the letter over, or correct the number and send again."
Expression: "status = 'failed' implies statusReason.exists()"
Severity: #error
