"""Issue 20 §5: what the server says (errorMessage, logsUrl, agent errors and output, phases)
is shown in the job summary, never rendered: no HTML, no link, no emphasis, no way out of a
table or a <details> block; a logs URL is a link only when it is https."""

from __future__ import annotations

import re
from pathlib import Path

import markdown_it
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipecat_build.config import Target
from pipecat_build.models import Build
from pipecat_build.outcome import DeployResult, DeployStatus, Outcome, RunStatus
from pipecat_build.report.summary import services_summary, single_summary

HOSTILE = [
    '<img src=x onerror="alert(document.cookie)">',
    "</details><script>steal()</script>",
    "[click here](https://evil.example/phish)",
    "![pixel](https://evil.example/track.png)",
    "visit https://evil.example/x or www.evil.example",
    "``` code fence ``` and `tick` and ````",
    "**bold** _em_ <b>b</b> &lt;entity&gt; &amp;",
    "cell | breaker | here\n| new | row |",
    "<https://evil.example/autolink>",
    "line one\n\n## heading\n- item",
]
TARGET = Target(name="svc", context_dir=Path("/ws/svc"), dockerfile="Dockerfile", region=None)


def rendered(markdown: str) -> str:
    return markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(
        markdown
    )


def outside_code(html: str) -> str:
    """The HTML with every <code>...</code> span cut out: what GitHub would autolink."""
    return re.sub(r"<code[^>]*>.*?</code>", "", html, flags=re.DOTALL)


def assert_inert(html: str) -> None:
    assert "<img" not in html and "<script" not in html and "</details>" not in html
    assert "<a " not in html.replace('<a href="https://console.example/logs"', "")
    assert "<strong>bold" not in html and "<em>" not in html and "<b>" not in html
    assert "<h2" not in html


def failed(error: str, logs_url: str = "https://console.example/logs") -> Outcome:
    build = Build.parse({"id": "b1", "status": "failed", "errorMessage": error,
                         "logsUrl": logs_url})
    return Outcome(TARGET, status=RunStatus.FAILED, build=build, error=error,
                   context_hash="abcd", region="us-west")


@pytest.mark.parametrize("text", HOSTILE)
def test_server_text_in_the_summary_is_shown_not_rendered(text: str) -> None:
    deployed = Outcome(
        TARGET, status=RunStatus.SUCCESS, context_hash="abcd", region="us-west",
        deploy=DeployResult("bot", DeployStatus.FAILED, deployment_id="d1",
                            error=f"{text}\n{text}\n```\n{text}", phases=(text,)),
    )
    for markdown in (single_summary(failed(text)), services_summary([failed(text)]),
                     single_summary(deployed)):
        html = rendered(markdown)
        assert_inert(html)
        assert "evil" not in outside_code(html)  # no text a renderer could autolink
    # Shown: the reader still sees the words.
    assert "evil" in rendered(single_summary(failed(text))) or "evil" not in text


@pytest.mark.parametrize(
    "url", ["http://console.example/logs", "javascript:alert(1)",
            "https://console.example/a) [x](https://evil.example", "https://e.example/<x>",
            "data:text/html,<script>x</script>", "https://console.example/a b"]
)
def test_a_logs_url_is_a_link_only_when_it_is_plain_https(url: str) -> None:
    html = rendered(single_summary(failed("x", logs_url=url)))
    assert "<a " not in html and "evil" not in html.split("<code>")[0]


def test_an_https_logs_url_is_a_link() -> None:
    html = rendered(single_summary(failed("x", logs_url="https://console.example/logs?q=1")))
    assert '<a href="https://console.example/logs?q=1">open</a>' in html


@settings(max_examples=150, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("<>/`*_[]()!|&#;:\n -abc")), max_size=60))
def test_no_server_text_renders_as_markup(text: str) -> None:
    html = rendered(single_summary(failed(text or "x")))
    body = html.split("<blockquote>")[-1]
    assert "<a " not in body and "<em>" not in body and "<strong>" not in body.replace(
        "<strong>Error:</strong>", "")
    assert all(tag not in body for tag in ("<img", "<table", "<h", "<ul", "<ol", "<pre"))


@pytest.mark.parametrize("text", HOSTILE)
def test_a_rollback_summary_renders_nothing_from_the_server(text: str) -> None:
    """`build-id` runs show the build they deployed (given_summary): its logs URL and error
    are as inert as in a build's summary."""
    from pipecat_build.report.summary import given_summary

    build = Build.parse({"id": "b1", "status": "success", "imageUri": "registry.example/a:1",
                         "logsUrl": f"https://x.example/a) {text}"})
    outcome = Outcome(TARGET, status=RunStatus.SUCCESS, build=build, error=text,
                      context_hash="abcd", region="us-west", cached=True)
    html = rendered(given_summary(outcome))
    assert_inert(outside_code(html))
    assert "<a " not in html, "a logs URL that could end the link early is never a link"


def test_a_deletion_summary_renders_nothing_from_the_server() -> None:
    from pipecat_build.outcome import DeleteStatus, Deletion
    from pipecat_build.report.summary import deletion_summary

    for text in HOSTILE:
        deletion = Deletion("bot", DeleteStatus.DELETED, secret_sets=(text,))
        html = rendered(deletion_summary(Outcome(TARGET, deletion=deletion, error=text)))
        assert_inert(outside_code(html))
