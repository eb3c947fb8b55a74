"""The order of the examples in the gallery: a story, not sphinx-gallery's default
(number of code lines). Examples not listed here come last, by file name."""

ORDER = (
    "plot_quickstart.py",
    "plot_view_to_view.py",
    "plot_crosslingual_text.py",
    "plot_ablations.py",
    "plot_alpha_beta_selection.py",
    "plot_source_helping.py",
    "plot_ensembles.py",
    "plot_representation.py",
    "plot_training_curves.py",
)


class ExampleOrder:
    """Sort key for ``within_subsection_order`` (sphinx-gallery instantiates it with
    the folder of the examples)."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename: str):
        if filename in ORDER:
            return (ORDER.index(filename), filename)
        return (len(ORDER), filename)

    def __repr__(self) -> str:
        return f"ExampleOrder({ORDER!r})"
