"""A client's own diary: painsim's model fitted to one person's pain diary, and forecasts.

* :mod:`painsim.diary.reading`: the diary CSV, checked row by row (:func:`read_diary`,
  :class:`Diary`, :class:`DiaryError`);
* :mod:`painsim.diary.inference`: sequential Monte Carlo over the engine's virtual patients
  (:func:`fit_diary` -> :class:`DiaryFit`: posterior over traits, ESS);
* :mod:`painsim.diary.forecast`: each care plan's weekly pain, chance of a 30% improvement
  at 12 weeks, relief days and cost (:func:`forecast_plans`), and which loops hold the
  client's pain up (:func:`loop_knockouts`);
* :mod:`painsim.diary.validation`: synthetic clients unseen by the fit, coverage and error.

docs/diary.md describes the method, the measurement model and the validation.
"""

from painsim.diary.forecast import PlanForecast, forecast_cloud, forecast_plans, loop_knockouts
from painsim.diary.inference import DiaryFit, Particles, fit_diary, rating_likelihood
from painsim.diary.reading import Diary, DiaryError, diary_from_ratings, read_diary

__all__ = [
    "Diary",
    "DiaryError",
    "DiaryFit",
    "Particles",
    "PlanForecast",
    "diary_from_ratings",
    "fit_diary",
    "forecast_cloud",
    "forecast_plans",
    "loop_knockouts",
    "rating_likelihood",
    "read_diary",
]
