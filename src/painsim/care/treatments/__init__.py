"""The treatments shipped with painsim, one file each, in registration order."""

from painsim.care.treatments.education import Education
from painsim.care.treatments.exercise import Exercise
from painsim.care.treatments.massage import Massage
from painsim.care.treatments.sham import Sham
from painsim.care.treatments.sleep_stress import SleepStressCare
from painsim.care.treatments.usual_care import UsualCare

# Registration order is the order of plans, forms and docs, and the order in which the
# kernel runs a day's sessions (education is billed before sleep care, massage before exercise).
BUILTIN_TREATMENTS = (Massage, Sham, Exercise, Education, SleepStressCare, UsualCare)

__all__ = ["BUILTIN_TREATMENTS", "Education", "Exercise", "Massage", "Sham", "SleepStressCare", "UsualCare"]
