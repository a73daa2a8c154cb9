"""Bad input rule: every free-text form field in the app has a length limit (so over-long input gets a
message, never reaches the database). Covers every `participation.<feature>.forms` module."""
from __future__ import annotations

import importlib
import inspect
import pkgutil

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length

import participation


def _forms():
    for module_info in pkgutil.walk_packages(participation.__path__, "participation."):
        if module_info.name.endswith(".forms"):
            module = importlib.import_module(module_info.name)
            for name, cls in inspect.getmembers(module, inspect.isclass):
                if issubclass(cls, FlaskForm) and cls.__module__ == module.__name__:
                    yield module.__name__, name, cls


def test_every_text_field_has_a_length_limit(app):
    missing = []
    found = 0
    with app.test_request_context():
        for module, name, cls in _forms():
            form = cls(meta={"csrf": False})
            for field in form:
                if isinstance(field, StringField):  # also TextArea, Email, Password, Hidden, URL ...
                    found += 1
                    if not any(isinstance(v, Length) and 0 < v.max for v in field.validators):
                        missing.append(f"{module}.{name}.{field.name}")
    assert found > 20, "the scan found the forms"
    assert missing == [], f"fields without a length limit: {missing}"
