"""How sure can we be: the methodologist's layer of the report.

A programme of 20 families and 6 young people measured before and after,
without a comparison group, cannot prove much. This module puts next to
every result what the data can and cannot support:

- sensitivity: the power of the paired t-test (:mod:`evaltools.power`) and,
  in words, the smallest change it could detect (``change.csv``'s ``mdes_dz``);
- regression to the mean: whether the change is carried by those who started
  lowest (:func:`regression_to_mean`);
- attrition bias in one sentence (:func:`attrition_sentence`);
- multiplicity: how many tests were made and which survive Holm
  (:func:`multiplicity`, :func:`significance_word`);
- the design statement (:func:`design_statement`), its sensitivity resting
  on the people measured at baseline (:func:`respondents`);
- one plain-language verdict per instrument × scale (:func:`verdicts`).

Unlike the analysis modules this layer produces words; it takes the language
as an argument and finds every word in the catalogue (:mod:`evaltools.labels`,
file ``labels/certainty.yaml``). It reads no file and computes no statistic
that :mod:`evaltools.change` already reports.

One module per kind of sentence, every public name importable from here:

- :mod:`~evaltools.certainty.words`: effect-size and significance words,
  the sensitivity of one change row;
- :mod:`~evaltools.certainty.verdicts`: the verdict lines;
- :mod:`~evaltools.certainty.design`: the design statement;
- :mod:`~evaltools.certainty.attrition`: the attrition sentence;
- :mod:`~evaltools.certainty.multiplicity`: the number of tests, Holm families;
- :mod:`~evaltools.certainty.explanations`: family clustering and regression
  to the mean;
- :mod:`~evaltools.certainty.tables`: the small tables the words are made of
  (wave dates, group sizes, respondents, reportable rows);
- :mod:`~evaltools.certainty.cells` and :mod:`~evaltools.certainty.phrases`:
  reading a table's cells and the small phrases every sentence shares.

Examples
--------
>>> round(power_of_paired_t(15, 0.8), 3)     # statsmodels TTestPower gives 0.821
0.821
>>> round(pairs_needed(0.8), 1)
14.3
>>> effect_size_word(0.45, "en"), effect_size_word(-0.9, "pl")
('small', 'duża')
"""


from evaltools.certainty.attrition import attrition_sentence
from evaltools.certainty.design import design_statement
from evaltools.certainty.explanations import clustered_sentence, clustered_sentences, rtm_sentence, rtm_sentences
from evaltools.certainty.multiplicity import (PRIMARY_HOLM_FAMILY, holm_families_sentence, holm_family_phrase,
                                              multiplicity, multiplicity_sentence)
from evaltools.certainty.tables import group_sizes, reportable_change, respondents, wave_dates
from evaltools.certainty.verdicts import VERDICT_COLUMNS, verdicts
from evaltools.certainty.words import (COHEN_1988, benchmark_note, effect_size_range, effect_size_word,
                                       sensitivity_sentence, significance_word)
from evaltools.power import MDES_POWER, mdes_dz, pairs_needed, power_of_paired_t

__all__ = [
    "COHEN_1988", "MDES_POWER", "PRIMARY_HOLM_FAMILY", "VERDICT_COLUMNS",
    "attrition_sentence", "benchmark_note", "clustered_sentence", "clustered_sentences", "design_statement",
    "effect_size_range", "effect_size_word", "group_sizes", "holm_families_sentence", "holm_family_phrase",
    "mdes_dz", "multiplicity", "multiplicity_sentence", "pairs_needed", "power_of_paired_t", "reportable_change",
    "respondents", "rtm_sentence", "rtm_sentences", "sensitivity_sentence", "significance_word", "verdicts",
    "wave_dates",
]
