"""The shape of the application code (audio/, cms/, config/; migrations aside): no
module over 600 lines, no function or method over 80 lines (issue #12).

Run as a script, it lists what is over either limit, allowed or not:
``.venv/bin/python -m tests.test_code_shape``.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("audio", "cms", "config")
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def modules():
    """The application's Python files, as paths relative to the repository."""
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" not in relative.parts:
                yield relative


def oversized(relative: Path, root: Path = ROOT) -> list[str]:
    """What in one module is over a limit, one line of text each."""
    source = (root / relative).read_text(encoding="utf-8")
    found = []
    lines = len(source.splitlines())
    if lines > MAX_MODULE_LINES:
        found.append(f"{relative}: {lines} lines (at most {MAX_MODULE_LINES})")
    for node in ast.walk(ast.parse(source, filename=str(relative))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = node.end_lineno - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                found.append(
                    f"{relative}:{node.lineno} {node.name}(): {length} lines "
                    f"(at most {MAX_FUNCTION_LINES})"
                )
    return found


def test_the_limits_are_checked_over_the_application_code():
    checked = {str(relative) for relative in modules()}
    assert "audio/pipeline.py" in checked and "cms/models/guide.py" in checked
    assert not any("migrations" in name for name in checked)


def test_no_module_or_function_is_over_the_limits():
    over = [finding for relative in modules() for finding in oversized(relative)]
    assert not over, "Split these into well-named parts:\n" + "\n".join(over)


def test_the_check_finds_a_long_method_and_a_long_module(tmp_path):
    body = "\n".join(f"        x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    short = "\n".join(f"        x{i} = {i}" for i in range(MAX_FUNCTION_LINES - 1))
    (tmp_path / "long.py").write_text(
        f"class A:\n    def long(self):\n{body}\n\n    def short(self):\n{short}\n"
        + "\n" * MAX_MODULE_LINES,
        encoding="utf-8",
    )
    found = oversized(Path("long.py"), root=tmp_path)
    assert len(found) == 2
    assert "lines (at most 600)" in found[0] and "long(): 81 lines" in found[1]


if __name__ == "__main__":
    for relative in modules():
        for finding in oversized(relative):
            print(finding)
