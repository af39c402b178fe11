"""What the letter and the care plan say of the pathway, as keys of the catalogues, in order.

The advice items are the PlanDefinition's advice actions (definition.py `Pathway.advice`, each
said by the sentence "advice-<id>"); these are the lists pathway.md gives within them.
"""

from __future__ import annotations

from typing import Final

# pathway.md, advice 5: the medication advice, part of the advice (it is advice, not a
# prescription: prescriptions of the encounter are listed as the record shows them).
MEDICATION_KEYS: Final = (
    "medication-nsaid",
    "medication-paracetamol",
    "medication-consult",
    "medication-purpose",
)
# From 70 years the NSAID sentence is this one (pathway.md, "Older patients").
MEDICATION_NSAID_OLDER: Final = "medication-nsaid-older"
# pathway.md, "Safety-netting": see the GP for these, go to the ED at once for those.
SAFETY_NET_GP_KEYS: Final = ("safety-net-radicular",)
SAFETY_NET_ED_KEYS: Final = (
    "safety-net-weakness",
    "safety-net-saddle",
    "safety-net-bladder-bowel",
    "safety-net-erectile",
)
# pathway.md, "Sex": the item on erectile dysfunction is for male patients only.
MALE_ONLY_KEYS: Final = frozenset({"safety-net-erectile"})
