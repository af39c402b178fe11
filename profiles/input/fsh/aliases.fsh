// Code systems, by the URLs of fhir_discharge/core/codes.py. SNOMED CT, LOINC and ICD-10 are external
// code systems (not in the R4 core package): SUSHI takes them as URIs and does not check codes.
Alias: $LOINC = http://loinc.org
Alias: $SCT = http://snomed.info/sct
Alias: $ICD10 = http://hl7.org/fhir/sid/icd-10
Alias: $ICD10CM = http://hl7.org/fhir/sid/icd-10-cm
Alias: $PlanDefinitionType = http://terminology.hl7.org/CodeSystem/plan-definition-type
Alias: $UCUM = http://unitsofmeasure.org
