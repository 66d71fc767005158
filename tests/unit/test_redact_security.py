"""Issue 20 §6: the project's own redactor (CLI output, job summary, outputs, crash output)
masks what GitHub's runner masks: every secret, the short ones too, and its encoded forms
(the runner's ValueEncoders: base64 at three offsets, URI data, JSON, XML, quotes)."""

from __future__ import annotations

import base64
import html
import json
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipecat_build.redact import Redactor

SECRET = 'pk_live "s3cr/t" +é&<x>'


def masked(*secrets: str) -> Redactor:
    redactor = Redactor()
    for secret in secrets:
        redactor.add(secret)
    return redactor


@pytest.mark.parametrize(
    "leak",
    [
        SECRET,
        quote(SECRET, safe=""),
        quote_plus(SECRET),
        json.dumps({"value": SECRET}),
        json.dumps({"value": SECRET}, ensure_ascii=False),
        html.escape(SECRET),
        SECRET.replace('"', '\\"'),
        base64.b64encode(SECRET.encode()).decode(),
        base64.b64encode(b"user:" + SECRET.encode()).decode(),  # prefix of 5 bytes
        base64.b64encode(b"u:" + SECRET.encode() + b"@host").decode(),  # 2 bytes, and a tail
        base64.b64encode(b"ab:" + SECRET.encode()).decode(),
        base64.urlsafe_b64encode(b"x" + SECRET.encode()).decode(),
    ],
)
def test_encoded_forms_of_a_secret_are_masked(leak: str) -> None:
    shown = masked(SECRET)(f"answer: {leak} end")
    assert "***" in shown
    core = base64.b64encode(SECRET.encode()[3:9]).decode()
    assert SECRET not in shown and "s3cr" not in shown and core not in shown


@pytest.mark.parametrize("short", ["x", "7Q", "a#c"])
def test_short_secrets_are_masked_where_they_stand_alone(short: str) -> None:
    redactor = masked(short)
    assert short not in redactor(f"value={short}").replace("value=", "")
    assert redactor(f"'{short}'") == "'***'"
    assert redactor(short) == "***"


def test_short_secrets_leave_longer_words_and_numbers_alone() -> None:
    redactor = masked("1", "ab")
    assert redactor("image v10.1x cab abc") == "image v10.1x cab abc"
    assert redactor("n = 1; ab.") == "n = ***; ***."


@settings(max_examples=200, deadline=None)
@given(secret=st.text(min_size=4, max_size=40).filter(lambda s: s.strip() == s and "\n" not in s
                                                     and "\r" not in s),
       before=st.text(max_size=10), after=st.text(max_size=10))
def test_a_secret_never_survives_whatever_surrounds_it(
    secret: str, before: str, after: str
) -> None:
    redactor = masked(secret)
    for form in (secret, quote(secret, safe=""), json.dumps(secret)[1:-1]):
        assert form not in redactor(before + form + after) or len(secret.splitlines()) > 1


def test_a_short_value_hides_where_it_stands_alone_not_inside_names_or_numbers() -> None:
    redactor = masked("2")
    assert redactor("TOKEN=2") == "TOKEN=***"
    assert redactor('value "2" and 2') == 'value "***" and ***'
    for kept in ("us-west-2", "v1.2.3", "a/2/b", "host:2", "2.5 s", "id 12", "x_2", "+2"):
        assert redactor(kept) == kept, kept


def test_outputs_keep_their_true_value_when_a_secret_set_value_equals_part_of_them() -> None:
    """`DEBUG=true` or `REGION=us-west` in `secrets` must not turn `cached` or `image-uri`
    into `***`: outputs are masked by the run's credentials only."""
    redactor = Redactor()
    for value in ("true", "us-west", "success", "2"):
        redactor.add(value, in_outputs=False)
    redactor.add("pk_live_the_api_key")
    uri = "123.dkr.ecr.us-west-2.amazonaws.com/pipecat:abc"
    assert redactor.outputs("true") == "true" and redactor.outputs(uri) == uri
    assert redactor.outputs("success") == "success"
    assert redactor.outputs("x?token=pk_live_the_api_key") == "x?token=***"
    assert redactor("cached: true; status success") == "cached: ***; status ***", "shown text"
