"""Settings from files, the environment and flags: a value is the type its
setting declares, or refused naming the setting and the value."""

import pytest

from assistant.config import Config
from assistant.errors import ConfigError


@pytest.mark.parametrize("spelled, value", [
    ("true", True), ("TRUE", True), ("1", True), ("yes", True), ("On", True), (" on ", True),
    ("false", False), ("False", False), ("0", False), ("no", False), ("OFF", False),
    (True, True), (False, False), (1, True), (0, False),
])
def test_boolean_spellings(spelled, value):
    assert Config.from_dict({"ocr": spelled}).ocr is value


@pytest.mark.parametrize("bad", ["ture", "", "2", "enabled", "nein", 2, 1.5])
def test_an_unrecognised_boolean_is_refused_naming_the_setting_and_value(bad):
    with pytest.raises(ConfigError) as refused:
        Config.from_dict({"ocr": bad})
    message = str(refused.value)
    assert "'ocr'" in message and repr(bad) in message
    assert "true/false/1/0/yes/no/on/off" in message


def test_an_unrecognised_boolean_in_the_environment_is_refused(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no ./assistant.toml
    monkeypatch.setenv("ASSISTANT_OCR", "ture")
    with pytest.raises(ConfigError, match="'ocr'.*'ture'"):
        Config.load()
    monkeypatch.setenv("ASSISTANT_OCR", "off")
    assert Config.load().ocr is False


def test_numbers_are_still_checked():
    assert Config.from_dict({"top_k": "7"}).top_k == 7
    with pytest.raises(ConfigError, match="'top_k' must be int, got 'seven'"):
        Config.from_dict({"top_k": "seven"})
