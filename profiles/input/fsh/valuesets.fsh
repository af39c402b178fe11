// The eligibility gate's codes as ValueSets: kept equal to fhir_discharge/codes.py LOW_BACK_PAIN
// and EXCLUSIONS by tests/test_profiles_compiled.py. Displays are codes.py's (the code system's own).

ValueSet: LbpLowBackPainDiagnosis
Id: lbp-low-back-pain-diagnosis
Title: "Low back pain diagnosis (pathway entry)"
Description: "Diagnoses that put an emergency department encounter on the acute non-specific mechanical low back pain pathway (fhir_discharge/codes.py LOW_BACK_PAIN)."
* insert ConformanceMetadata
* $SCT#279039007 "Low back pain"
* $SCT#278862001 "Acute low back pain"
* $ICD10#M54.5 "Low back pain"
* $ICD10CM#M54.50 "Low back pain, unspecified"
* $ICD10CM#M54.59 "Other low back pain"

ValueSet: LbpExclusion
Id: lbp-exclusion
Title: "Low back pain pathway exclusions"
Description: "Diagnoses and findings (red flags, radicular pain) that take a patient off the pathway (fhir_discharge/codes.py EXCLUSIONS): the union of one ValueSet per kind of exclusion, whose title is the kind named in the refusal."
* insert ConformanceMetadata
* include codes from valueset LbpExclusionRadicularPain
* include codes from valueset LbpExclusionCaudaEquinaSyndrome
* include codes from valueset LbpExclusionLegWeakness
* include codes from valueset LbpExclusionSaddleAnaesthesia
* include codes from valueset LbpExclusionBladderDysfunction
* include codes from valueset LbpExclusionBowelDysfunction
* include codes from valueset LbpExclusionErectileDysfunction
* include codes from valueset LbpExclusionSuspectedFracture
* include codes from valueset LbpExclusionSuspectedTumour

// One ValueSet per kind; Title = the kind exactly as codes.py names it (code -> kind mapping).

ValueSet: LbpExclusionRadicularPain
Id: lbp-exclusion-radicular-pain
Title: "radicular pain"
Description: "Exclusion from the low back pain pathway: radicular (nerve-root) pain."
* insert ConformanceMetadata
* $SCT#23056005 "Sciatica"
* $SCT#72274001 "Radiculopathy"
* $ICD10#M54.1 "Radiculopathy"
* $ICD10#M54.3 "Sciatica"
* $ICD10#M54.4 "Lumbago with sciatica"

ValueSet: LbpExclusionCaudaEquinaSyndrome
Id: lbp-exclusion-cauda-equina-syndrome
Title: "cauda equina syndrome"
Description: "Exclusion from the low back pain pathway (red flag): cauda equina syndrome."
* insert ConformanceMetadata
* $SCT#192970008 "Cauda equina syndrome"
* $ICD10#G83.4 "Cauda equina syndrome"

ValueSet: LbpExclusionLegWeakness
Id: lbp-exclusion-leg-weakness
Title: "leg weakness"
Description: "Exclusion from the low back pain pathway (red flag): loss of strength in the legs."
* insert ConformanceMetadata
* $SCT#309249007 "Weakness of leg"

ValueSet: LbpExclusionSaddleAnaesthesia
Id: lbp-exclusion-saddle-anaesthesia
Title: "saddle anaesthesia"
Description: "Exclusion from the low back pain pathway (red flag): sensory disturbance in the saddle area."
* insert ConformanceMetadata
* $SCT#705121009 "Saddle anesthesia"

ValueSet: LbpExclusionBladderDysfunction
Id: lbp-exclusion-bladder-dysfunction
Title: "bladder dysfunction"
Description: "Exclusion from the low back pain pathway (red flag): problems passing urine."
* insert ConformanceMetadata
* $SCT#267064002 "Retention of urine"
* $SCT#165232002 "Urinary incontinence"
* $ICD10#R33 "Retention of urine"
* $ICD10#R32 "Unspecified urinary incontinence"

ValueSet: LbpExclusionBowelDysfunction
Id: lbp-exclusion-bowel-dysfunction
Title: "bowel dysfunction"
Description: "Exclusion from the low back pain pathway (red flag): problems passing stools."
* insert ConformanceMetadata
* $SCT#72042002 "Incontinence of feces"
* $ICD10#R15 "Faecal incontinence"

ValueSet: LbpExclusionErectileDysfunction
Id: lbp-exclusion-erectile-dysfunction
Title: "erectile dysfunction"
Description: "Exclusion from the low back pain pathway (red flag): erectile dysfunction."
* insert ConformanceMetadata
* $SCT#860914002 "Erectile dysfunction"

ValueSet: LbpExclusionSuspectedFracture
Id: lbp-exclusion-suspected-fracture
Title: "suspected fracture"
Description: "Exclusion from the low back pain pathway (red flag): suspected fracture of the lumbar spine."
* insert ConformanceMetadata
* $SCT#207957008 "Fracture of lumbar spine"
* $ICD10#S32.0 "Fracture of lumbar vertebra"

ValueSet: LbpExclusionSuspectedTumour
Id: lbp-exclusion-suspected-tumour
Title: "suspected tumour"
Description: "Exclusion from the low back pain pathway (red flag): suspected tumour of the spine."
* insert ConformanceMetadata
* $ICD10#C41.2 "Malignant neoplasm: Vertebral column"
* $ICD10#C79.5 "Secondary malignant neoplasm of bone and bone marrow"
