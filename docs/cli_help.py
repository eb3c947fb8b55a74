"""A directive that prints a command's ``--help``, read from its argparse parser.

``.. cli-help:: package.module:function`` calls ``function()``, which returns an
``argparse.ArgumentParser``, and shows its help text: the options are documented
where they are defined, and the page cannot fall behind them.
"""

import importlib
import os

from docutils import nodes
from docutils.parsers.rst import Directive


class CliHelp(Directive):
    required_arguments = 1

    def run(self):
        module, function = self.arguments[0].split(":")
        parser = getattr(importlib.import_module(module), function)()
        columns = os.environ.get("COLUMNS")
        os.environ["COLUMNS"] = "88"  # argparse wraps to the terminal's width
        try:
            text = parser.format_help()
        finally:
            if columns is None:
                del os.environ["COLUMNS"]
            else:
                os.environ["COLUMNS"] = columns
        return [nodes.literal_block(text, text)]


def setup(app):
    app.add_directive("cli-help", CliHelp)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
