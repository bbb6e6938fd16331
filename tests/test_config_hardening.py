"""Loading sccli.yaml and sla.yaml never crashes or stalls: an alias bomb, deep nesting, a
huge or non-UTF-8 file, an empty file or one without a mapping at the top is refused in
one line naming the file, exit 2 (a configuration error), before anything can grow.

The bomb tests use bombs that would take minutes and gigabytes without the limits (and a
message of hundreds of megabytes); with them they are refused at once.
"""

from __future__ import annotations

import os
import sys
import threading

import pytest

from sccli import schema as s
from sccli.config import parse_config, parse_sla

CONFIG, SLA = "sccli.yaml", "sla.yaml"
COMMAND = {CONFIG: ("ticket", "list"), SLA: ("sla", "status")}


def billion_laughs_key(levels: int, indent: str = "") -> str:
    """A mapping key that is an alias bomb: ``levels`` lists of 9 aliases of the one
    before, 9**levels "lol"s once expanded, in a few hundred bytes. As a key it reaches
    the code that turns keys into text (and into error messages)."""
    lines = [f"{indent}? [&l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels + 1):
        lines.append(f"{indent}  , &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
    lines += [f"{indent}  ]", f"{indent}: x"]
    return "\n".join(lines) + "\n"


def billion_laughs(levels: int) -> str:
    """The classic form: top-level keys, each a list of 9 aliases of the one before."""
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def write(cli, name: str, content: str | bytes) -> str:
    path = cli.home / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return str(path)


def refused(cli, name: str, *needles: str) -> str:
    """Run the command that reads ``name``: exit 2, one stderr line naming the file."""
    result = cli(*COMMAND[name])
    path = str(cli.home / name)
    assert result.exit_code == 2, (result.exit_code, result.stderr[:500])
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr[:500]
    line = lines[0]
    assert line.startswith(f"sccli: error: {path}"), line[:500]
    assert len(line) < 500, line[:500]  # never echoes the file's content
    for needle in needles:
        assert needle in line, line
    return line


# ------------------------------------------------------------------ alias bombs


def test_alias_bomb_in_sccli_yaml_is_refused(cli):
    write(cli, CONFIG, billion_laughs_key(9))
    line = refused(cli, CONFIG, "refused", "aliases", str(s.MAX_NODES))
    assert "lol" not in line


def test_alias_bomb_in_sla_yaml_is_refused(cli):
    sla = (cli.home / SLA).read_text(encoding="utf-8")
    write(cli, SLA, sla.replace("calendar:\n", "calendar:\n" + billion_laughs_key(9, "  "), 1))
    line = refused(cli, SLA, "refused", "aliases")
    assert "lol" not in line


def test_classic_billion_laughs_is_refused_by_the_loader():
    for parse, where in ((parse_config, "sccli.yaml"), (parse_sla, "sla.yaml")):
        with pytest.raises(s.ConfigError) as err:
            parse(billion_laughs(9), where)
        assert str(err.value).startswith(f"{where}:")
        assert "more than 20000 values" in str(err.value)


def test_loader_refuses_a_bomb_before_walking_it():
    # 9**12 values: any walk of it (validation, construction, text) would never end
    with pytest.raises(s.ConfigError) as err:
        s.load(billion_laughs_key(12), s.Struct({}), "x.yaml")
    assert str(err.value).startswith("x.yaml:")
    assert "alias" in err.value.message and len(str(err.value)) < 300
    with pytest.raises(s.ConfigError):
        s.load(billion_laughs_key(12), s.MapOf(s.Str()), "x.yaml")


def test_loader_refuses_too_many_aliases():
    text = "a: &a x\nb: [" + ", ".join(["*a"] * (s.MAX_ALIASES + 1)) + "]\n"
    with pytest.raises(s.ConfigError) as err:
        s.load(text, s.Struct({"a": s.Field(s.Str()), "b": s.Field(s.ListOf(s.Str()))}), "x")
    assert f"more than {s.MAX_ALIASES} aliases" in str(err.value)
    assert err.value.line == 2


def test_loader_refuses_an_alias_inside_what_it_names():
    with pytest.raises(s.ConfigError) as err:
        s.load("? &a [x, *a]\n: y\n", s.Struct({}), "x")
    assert "cycle" in str(err.value)


def test_nesting_through_aliases_counts_as_the_copies():
    deep = s.MAX_DEPTH - 5
    text = f"a: &a {'[' * deep}{']' * deep}\nb: [[[[[[[[[[*a]]]]]]]]]]\n"
    with pytest.raises(s.ConfigError) as err:
        s.load(text, s.Struct({}), "x")
    assert f"nested deeper than {s.MAX_DEPTH}" in str(err.value)


def test_a_few_aliases_still_work(cli):
    """Anchors are useful (one day's hours for the whole week): within the limits they work."""
    write(
        cli,
        SLA,
        "calendar:\n"
        "  hours: {mon: &day [09:00-18:00], tue: *day, wed: *day, thu: *day, fri: *day}\n"
        "reaction:\n"
        "  targets: {critical: 1h, high: &slow 4h, medium: *slow, low: 8h}\n",
    )
    cli.ok("sla", "status")
    cli.ok("ticket", "list")


# ------------------------------------------------------------------ nesting and size


def test_yaml_nested_5000_deep_in_sla_yaml(cli):
    write(cli, SLA, "calendar: " + "[" * 5000 + "]" * 5000 + "\n")
    refused(cli, SLA, f"nested deeper than {s.MAX_DEPTH} levels")


def test_yaml_nested_5000_deep_in_sccli_yaml(cli):
    write(cli, CONFIG, "executor: " + "{k: " * 5000 + "x" + "}" * 5000 + "\n")
    refused(cli, CONFIG, f"nested deeper than {s.MAX_DEPTH} levels")


def test_block_nesting_beyond_the_limit(cli):
    write(cli, SLA, "".join(" " * i + "-\n" for i in range(s.MAX_DEPTH + 10)))
    refused(cli, SLA, "nested deeper")


def test_file_over_the_size_limit(cli):
    config = (cli.home / CONFIG).read_text(encoding="utf-8")
    write(cli, CONFIG, config + ("# padding\n" * (s.MAX_BYTES // 10 + 1)))
    refused(cli, CONFIG, "too large", "256 KiB")


def test_not_utf8(cli):
    write(cli, SLA, (cli.home / SLA).read_bytes() + "# café\n".encode("latin-1"))
    refused(cli, SLA, "not UTF-8")


def test_control_character(cli):
    write(cli, CONFIG, (cli.home / CONFIG).read_text(encoding="utf-8") + '\nx: "\x00"\n')
    refused(cli, CONFIG, "not valid YAML")


def test_a_directory_instead_of_the_file(cli):
    (cli.home / SLA).unlink()
    (cli.home / SLA).mkdir()
    refused(cli, SLA, "not a regular file")


@pytest.mark.skipif(sys.platform == "win32" or not hasattr(os, "mkfifo"), reason="no FIFOs")
def test_a_fifo_instead_of_the_file_does_not_block(cli):
    path = cli.home / SLA
    path.unlink()
    os.mkfifo(path)
    done = threading.Event()

    def unblock() -> None:
        # Should sccli ever open the FIFO to read, it would wait for a writer forever: be
        # that writer (opening without blocking only succeeds while a reader waits), so
        # the test fails on the message instead of hanging the suite.
        while not done.wait(0.05):
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:  # ENXIO: nobody is reading, as it should be
                continue

    helper = threading.Thread(target=unblock, daemon=True)
    helper.start()
    try:
        refused(cli, SLA, "not a regular file")
    finally:
        done.set()
        helper.join()


def test_a_huge_key_is_not_echoed(cli):
    write(cli, SLA, "? " + "x" * 100_000 + "\n: 1\n")  # an explicit key has no length limit
    refused(cli, SLA, "unknown key", "…")


def test_a_huge_value_is_not_echoed(cli):
    write(cli, CONFIG, "executor:\n  name: x\n  email: " + "y" * 100_000 + "\n")
    refused(cli, CONFIG, "executor.email", "…")


def test_a_non_scalar_key_is_refused(cli):
    write(cli, CONFIG, "? [executor]\n: x\n")
    refused(cli, CONFIG, "a key must be a name, got a list")


# ------------------------------------------------------------------ empty and not a mapping


@pytest.mark.parametrize("name", [CONFIG, SLA])
@pytest.mark.parametrize(
    ("content", "what"),
    [
        ("", "is empty"),
        ("# only a comment\n\n# and another\n", "is empty"),
        ("null\n", "is empty"),
        ("---\n...\n", "is empty"),
        ("42\n", "holds a scalar at the top"),
        ("- a\n- b\n", "holds a list at the top"),
    ],
    ids=["0-bytes", "comments", "null", "bare-document", "scalar", "list"],
)
def test_empty_or_not_a_mapping(cli, name, content, what):
    write(cli, name, content)
    line = refused(cli, name, what, "expected a mapping", "sccli init --force")
    assert line.count(name) >= 1


def test_omitted_optional_sections_take_their_defaults(cli):
    """An sla.yaml without feedback: and acceptance: uses their defaults (2 and 7 days)."""
    write(
        cli,
        SLA,
        "calendar: {hours: {mon: [09:00-18:00]}}\n"
        "reaction: {targets: {critical: 1h, high: 2h, medium: 4h, low: 8h}}\n",
    )
    cli.ok("sla", "status")
    sla = parse_sla(
        "calendar: {hours: {mon: [09:00-18:00]}}\n"
        "reaction: {targets: {critical: 1h, high: 2h, medium: 4h, low: 8h}}\n",
        "sla.yaml",
    )
    assert (sla.feedback_business_days, sla.acceptance_days) == (2, 7)
