"""Tests the best-effort TypeScript signature scan."""

from __future__ import annotations

from calimero_devnet.toolchain.tsscan import Param, mask, scan, split_params


def test_mask_blanks_comments_and_strings_but_keeps_offsets() -> None:
    source = "a('{') // }\n/* { */ b(`}`)"
    masked = mask(source)
    assert len(masked) == len(source)
    assert "{" not in masked
    assert "}" not in masked
    assert masked.index("b(") == source.index("b(")


def test_split_params_handles_function_types_defaults_and_destructuring() -> None:
    params = split_params("f: (a: number, b: string) => void, { x, y }: P, opt?: number, d = 3")
    assert params == [
        Param("f", "(a: number, b: string) => void", False),
        Param(None, "P", False),
        Param("opt", "number", True),
        Param("d", None, True),
    ]


def test_generic_types_with_commas_stay_whole() -> None:
    (param,) = split_params("m: Map<string, number[]> = new Map()")
    assert param == Param("m", "Map<string, number[]>", True)


def test_logic_methods_and_decorators_are_found_not_nested_calls() -> None:
    found = scan(
        """
        @Logic(S) export class L extends S {
          @View() entries(): [string, string][] { if (x) { y("}") } return z(); }
          async put(key: string): Promise<void> { for (const a of b) { c(a); } }
          private _hidden(): void {}
        }
        """
    )
    assert set(found.methods) == {"entries", "put", "_hidden"}
    params, returns, decorators = found.methods["entries"]
    assert (params, returns, decorators) == ([], "[string, string][]", ("View",))
    assert found.methods["put"][1] == "Promise<void>"


def test_unbalanced_return_types_are_dropped_not_guessed() -> None:
    found = scan("@Logic() class L { f(): Map<string, { a: 1 }> { return m; } }")
    assert found.methods["f"][1] is None


def test_event_fields_come_from_parameter_properties_and_declarations() -> None:
    found = scan(
        """
        @Event export class A { constructor(public key: string, plain: number) {} }
        @Event export class B { readonly n: number; tag?: string; }
        """
    )
    assert [p.name for p in found.events["A"]] == ["key"]
    assert found.events["B"] == [
        Param("n", "number", False, True),
        Param("tag", "string", True, True),
    ]


def test_classes_without_our_decorators_are_ignored() -> None:
    found = scan("export class Plain { f(a: string): void {} }")
    assert found.methods == {}
    assert found.events == {}
