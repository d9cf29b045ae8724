"""The rules: one module per rule, named after what it forbids.

Every module in this package is imported here, so adding a rule means adding a file
(and its page ``rules/<CODE>.md``); nothing else needs to be registered.
"""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
