"""Text on a figure is text: titles, labels and legends from a data folder are never read as mathtext or LaTeX.

A group label ``$x^$`` would otherwise make matplotlib's mathtext fail (and
``$…$`` draw formulas of the user's making). Every figure function of
:mod:`evaltools.plots` is wrapped in :func:`literal_text`; the catalogue's
own labels use no mathtext either.
"""

from __future__ import annotations

import functools

#: rcParams under which a figure is made and drawn.
LITERAL_RC = {"text.parse_math": False, "text.usetex": False}


def plain_texts(fig):
    """Turn mathtext and LaTeX off on every text of ``fig`` (titles, tick labels, legends); return ``fig``.

    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots(); _ = ax.set_title("$x^$")
    >>> plain_texts(fig).axes[0].title.get_parse_math()
    False
    >>> plt.close(fig)
    """
    if fig is None:
        return fig
    from matplotlib.text import Text

    for text in fig.findobj(Text):
        text.set_parse_math(False)
        text.set_usetex(False)
    return fig


def literal_text(make):
    """Decorate a function returning a Figure (or ``None``): made under :data:`LITERAL_RC`, its texts plain.

    >>> import matplotlib.pyplot as plt
    >>> @literal_text
    ... def figure(label):
    ...     fig, ax = plt.subplots()
    ...     ax.set_yticks([0], [label])
    ...     return fig
    >>> import io; fig = figure("$\\\\frac{$"); fig.savefig(io.BytesIO()); plt.close(fig)
    """
    @functools.wraps(make)
    def wrapper(*args, **kwargs):
        import matplotlib as mpl

        with mpl.rc_context(LITERAL_RC):
            return plain_texts(make(*args, **kwargs))

    return wrapper
