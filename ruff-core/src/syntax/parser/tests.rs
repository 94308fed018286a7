//! Parser unit tests. Trees are compared as S-expressions (see `render`): every
//! construct of LANGUAGE.md §3, the precedence table, the sugar the parser removes,
//! the §3.3 newline hazards, error messages and codes, recovery, and the limits.

mod render;

use super::{MAX_BLOCK_DEPTH, MAX_DIAGNOSTICS, MAX_EXPR_DEPTH, MAX_ITEMS};
use crate::diag::Span;
use crate::syntax::ast::{ExprKind, StmtKind};
use crate::syntax::parse;

/// The program rendered, statements separated by `; `.
fn p(text: &str) -> String {
    match parse(text) {
        Ok(program) => render::program(&program),
        Err(diags) => panic!("unexpected errors for {text:?}: {diags:#?}"),
    }
}

/// `(code, message)` of every diagnostic.
fn errs(text: &str) -> Vec<(&'static str, String)> {
    match parse(text) {
        Ok(program) => panic!("expected errors for {text:?}, got {}", render::program(&program)),
        Err(diags) => diags.into_iter().map(|d| (d.code, d.message)).collect(),
    }
}

/// The single diagnostic's message.
fn err1(text: &str) -> String {
    let found = errs(text);
    assert_eq!(found.len(), 1, "expected one error for {text:?}: {found:#?}");
    found[0].1.clone()
}

#[test]
fn literals_and_names() {
    assert_eq!(p("1; 2.5; \"s\"; true; false; null; x; self"), "1; 2.5; \"s\"; true; false; null; x; self");
    assert_eq!(p("[1, ...a, 3,]"), "[1 ...a 3]");
    assert_eq!(p("x := {\"a\": 1, ...d}"), "(= x {\"a\": 1, ...d})");
    assert_eq!(p("x := {}"), "(= x {})");
    assert_eq!(p("x := {k: 1}"), "(= x {k: 1})");
}

#[test]
fn precedence_table() {
    assert_eq!(p("1 + 2 * 3"), "(+ 1 (* 2 3))");
    assert_eq!(p("1 - 2 - 3"), "(- (- 1 2) 3)");
    assert_eq!(p("a / b % c * d"), "(* (% (/ a b) c) d)");
    assert_eq!(p("a < b + 1"), "(< a (+ b 1))");
    assert_eq!(p("a == b < c"), "(== a (< b c))");
    assert_eq!(p("1 < 2 < 3"), "(< (< 1 2) 3)");
    assert_eq!(p("a && b == c"), "(&& a (== b c))");
    assert_eq!(p("a || b && c"), "(|| a (&& b c))");
    assert_eq!(p("a ?? b || c"), "(?? a (|| b c))");
    assert_eq!(p("a |> f ?? g"), "(call (?? f g) a)");
    assert_eq!(p("-a * b"), "(* (- a) b)");
    assert_eq!(p("!a.b"), "(! (. a b))");
    assert_eq!(p("- - x"), "(- (- x))");
    assert_eq!(p("-f(x)[0]"), "(- (index (call f x) 0))");
    assert_eq!(p("(1 + 2) * 3"), "(* (+ 1 2) 3)");
    assert_eq!(p("a != b >= c <= d > e"), "(!= a (> (<= (>= b c) d) e))");
}

#[test]
fn postfix_chains() {
    assert_eq!(p("a.b.c(1)[2]?.d?"), "(? (?. (index (method (. a b) c 1) 2) d))");
    assert_eq!(p("f()(1, 2,)"), "(call (call f) 1 2)");
    assert_eq!(p("self.x"), "(. self x)");
}

#[test]
fn pipe_desugars_to_calls() {
    assert_eq!(p("x |> f"), "(call f x)");
    assert_eq!(p("x |> f(a, b)"), "(call f x a b)");
    assert_eq!(p("x |> obj.m(a)"), "(method obj m x a)");
    assert_eq!(p("x |> f |> g(1)"), "(call g (call f x) 1)");
    assert_eq!(p("x |> Color::Red"), "(Color::Red x)");
}

#[test]
fn builtin_constructors_fold() {
    assert_eq!(p("Ok(1)"), "(Ok 1)");
    assert_eq!(p("Err(\"e\")"), "(Err \"e\")");
    assert_eq!(p("Some(x)"), "(Some x)");
    assert_eq!(p("None"), "None");
    assert_eq!(p("Result::Ok(x)"), "(Ok x)");
    assert_eq!(p("Result::Err(x)"), "(Err x)");
    assert_eq!(p("Option::Some(x)"), "(Some x)");
    assert_eq!(p("Option::None"), "None");
    assert_eq!(p("throw(\"boom\")"), "(throw \"boom\")");
    assert_eq!(p("f(Ok)"), "(call f Ok)");
    assert_eq!(err1("Result::Ok(1, 2)"), "Result::Ok expects exactly one argument");
}

#[test]
fn enum_variants_and_throw_anywhere() {
    assert_eq!(p("x == Color::Red"), "(== x Color::Red)");
    assert_eq!(p("[Color::Red, Color::Green(5, 6)]"), "[Color::Red (Color::Green 5 6)]");
    assert_eq!(p("f(throw(1))"), "(call f (throw 1))");
}

#[test]
fn full_expressions_inside_literals() {
    assert_eq!(p("[a && b, f |> g]"), "[(&& a b) (call g f)]");
    assert_eq!(p("x := {\"k\": x ?? y}"), "(= x {\"k\": (?? x y)})");
    assert_eq!(p("P { a: x || y }"), "(new P (a (|| x y)))");
}

#[test]
fn struct_literals() {
    assert_eq!(p("p := Point { x: 1, y: 2, }"), "(= p (new Point (x 1) (y 2)))");
    assert_eq!(p("p := Point {}"), "(= p (new Point))");
    assert_eq!(p("if x { y := 1 }"), "(if x {(= y 1)})");
    assert_eq!(p("while x { f() }"), "(while x {(call f)})");
}

#[test]
fn interpolation() {
    assert_eq!(p("\"a${x + 1}b${\"c\"}\""), "(interp \"a\" (+ x 1) \"b\" \"c\")");
    assert_eq!(p("\"${to_upper(\"a\")}\""), "(interp (call to_upper \"a\"))");
    assert_eq!(p("\"${ \"${x}\" }\""), "(interp (interp x))");
    assert_eq!(err1("\"${}\""), "Expected expression inside '${}'");
    assert_eq!(err1("\"${a b}\""), "Expected '}' to close string interpolation but found identifier 'b'");
    assert_eq!(err1("\"${1 +}\""), "Expected expression");
}

#[test]
fn interpolation_errors_point_into_the_string() {
    let diags = parse("x := \"ab${1 +}\"").unwrap_err();
    assert_eq!(diags[0].span, Span::new(13, 14));
}

#[test]
fn declarations() {
    assert_eq!(p("let x := 1"), "(let x 1)");
    assert_eq!(p("mut x = 1"), "(mut x 1)");
    assert_eq!(p("const N: int := 3"), "(const N 3)");
    assert_eq!(p("let r: Result<int, Option<string>> := Ok(1)"), "(let r (Ok 1))");
    assert_eq!(p("let [a, _, [b, c], ...rest] := arr"), "(let [a _ [b c] ...rest] arr)");
    assert_eq!(p("mut {name, age, ...others} := d"), "(mut {name age ...others} d)");
    assert_eq!(p("let _ := f()"), "(let _ (call f))");
    assert!(err1("let x: array := 1").starts_with("Expected a type"));
}

#[test]
fn pattern_statements_need_lookahead() {
    assert_eq!(p("[a, b] := pair"), "(:= [a b] pair)");
    assert_eq!(p("{a, ...r} = d"), "(:= {a ...r} d)");
    assert_eq!(p("[a, b]"), "[a b]");
    assert_eq!(p("[1, 2][0]"), "(index [1 2] 0)");
    assert_eq!(p("{\"a\": 1}"), "{\"a\": 1}");
    assert_eq!(p("{}"), "{}");
    assert_eq!(p("{} := x"), "(:= {} x)");
}

#[test]
fn assignments() {
    assert_eq!(p("x := 1; x = 2"), "(= x 1); (= x 2)");
    assert_eq!(p("x += 1; x -= 1; x *= 2; x /= 2; x %= 2"), "(+= x 1); (-= x 1); (*= x 2); (/= x 2); (%= x 2)");
    assert_eq!(p("a.b[i + 1].c := v"), "(= a.b[(+ i 1)].c v)");
    assert_eq!(p("self.x := 1"), "(= self.x 1)");
    assert_eq!(p("m[i][j] += 1"), "(+= m[i][j] 1)");
    assert_eq!(errs("a := b := 1")[0].0, "RUFPARSE004");
    assert_eq!(errs("f() := 1")[0].0, "RUFPARSE004");
    assert_eq!(errs("(a) := 1")[0].0, "RUFPARSE004");
    assert_eq!(errs("a.m() := 1")[0].0, "RUFPARSE004");
}

#[test]
fn functions() {
    assert_eq!(p("func add(a, b) { return a + b }"), "(func add (a b) {(return (+ a b))})");
    assert_eq!(p("func f(a: int, b: string,) -> bool { return }"), "(func f (a b) {(return)})");
    assert_eq!(p("f := func(x) { return x * 2 }"), "(= f (func <lambda> (x) {(return (* x 2))}))");
    assert_eq!(p("func() { print(1) }()"), "(call (func <lambda> () {(call print 1)}))");
    assert_eq!(p("func f() { return; }"), "(func f () {(return)})");
    assert_eq!(p("return"), "(return)");
    assert!(err1("func f() -> Result<int, int> { }").starts_with("Expected a return type"));
}

#[test]
fn structs_and_enums() {
    assert_eq!(
        p("struct P { x: int, y: float  func norm(self) { return self.x } func z() {} }"),
        "(struct P (x y) ((func norm (self) {(return (. self x))}) (func z () {})))"
    );
    assert_eq!(p("struct P { x: array }"), "(struct P (x array) ())");
    assert_eq!(p("struct E {}"), "(struct E () ())");
    assert_eq!(p("enum Color { Red, Green, Blue, }"), "(enum Color Red Green Blue)");
    assert_eq!(p("enum Empty {}"), "(enum Empty )");
}

#[test]
fn modules() {
    assert_eq!(p("import m"), "(import m)");
    assert_eq!(p("from a.b import x, y"), "(from a.b x y)");
    assert_eq!(p("export func f() {}"), "(export (func f () {}))");
    assert_eq!(p("export let x := 1"), "(export (let x 1))");
    assert!(err1("export x := 1").starts_with("Expected a declaration"));
}

#[test]
fn control_flow() {
    assert_eq!(p("if a { b } else { c }"), "(if a {b} {c})");
    assert_eq!(p("if a { b } else if c { d } else { e }"), "(if a {b} {(if c {d} {e})})");
    assert_eq!(p("while x < 3 { x += 1 }"), "(while (< x 3) {(+= x 1)})");
    assert_eq!(p("loop { break }"), "(loop {break})");
    assert_eq!(p("loop while c { continue }"), "(while c {continue})");
    assert_eq!(p("for x in items { print(x) }"), "(for x items {(call print x)})");
    assert_eq!(p("for i in range(10) {}"), "(for i (call range 10) {})");
    assert_eq!(p("try { f() } except e { print(e.message) }"), "(try {(call f)} e {(call print (. e message))})");
    assert_eq!(p(";;; x ;; y"), "x; y");
}

#[test]
fn match_cases() {
    let src = "match v { case Ok(x): { a } case Err: {} case Color::Red(c): {} case name: {} default: { b } }";
    assert_eq!(p(src), "(match v (case Ok(x) {a}) (case Err {}) (case Color::Red(c) {}) (case name {}) (default {b}))");
    let src = "match v { case Result::Ok(x): {} case Option::None: {} case _: {} case Ok(_): {} }";
    assert_eq!(p(src), "(match v (case Ok(x) {}) (case None {}) (case _ {}) (case Ok {}))");
    let src =
        "match v { case 1: {} case -2: {} case 2.5: {} case -0.5: {} case \"s\": {} case true: {} case null: {} }";
    assert_eq!(
        p(src),
        "(match v (case 1 {}) (case -2 {}) (case 2.5 {}) (case -0.5 {}) (case \"s\" {}) (case true {}) (case null {}))"
    );
    assert!(err1("match v { case x { } }").starts_with("Expected ':' after case pattern"));
}

#[test]
fn newline_hazards_are_faithful() {
    // A line starting with `[` continues the previous expression.
    assert!(parse("print(x)\n[a, b] := pair").is_err());
    assert_eq!(p("print(x);\n[a, b] := pair"), "(call print x); (:= [a b] pair)");
    // `if flag {}` is the struct literal `flag {}` followed by a missing block.
    assert!(err1("if flag {}").starts_with("Expected '{' to start if body"));
    assert_eq!(p("x := 1\n-2"), "(= x (- 1 2))");
}

#[test]
fn unsupported_constructs() {
    for (src, word) in [
        ("spawn { }", "spawn"),
        ("async func f() {}", "async"),
        ("x := await f()", "await"),
        ("yield 1", "yield"),
        ("test \"t\" { }", "test"),
        ("test_group \"g\" { }", "test_group"),
        ("test_setup { }", "test_setup"),
        ("test_teardown { }", "test_teardown"),
        ("func* gen() { }", "func*"),
        ("g := func*() { }", "func*"),
    ] {
        let found = errs(src);
        assert_eq!(found.len(), 1, "{src}: {found:?}");
        assert_eq!(found[0].0, "RUFPARSE002");
        assert_eq!(found[0].1, format!("'{word}' is not supported by this implementation"));
    }
}

#[test]
fn error_messages() {
    assert_eq!(err1("print(1"), "Expected ')' to close function call arguments but found Eof");
    assert_eq!(err1("print("), "Expected ')' to close function call arguments but found Eof");
    assert_eq!(err1("x := "), "Expected expression");
    assert_eq!(err1("x := [1, 2"), "Expected ']' to close array literal but found Eof");
    assert_eq!(err1("if x < 1 print(x)"), "Expected '{' to start if body but found identifier 'print'");
    assert_eq!(err1("else { }"), "Invalid statement: unexpected 'else'");
    assert!(err1("a & b").starts_with("Unexpected '&'"));
    assert!(err1("a | b").starts_with("Unexpected '|'"));
    assert!(err1("}").starts_with("Unexpected '}'"));
    assert_eq!(errs("x := )")[0].0, "RUFPARSE001");
}

#[test]
fn spans_point_at_the_offending_token() {
    let diags = parse("let x := 1 +\nlet y := 2").unwrap_err();
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].span, Span::new(13, 16));
    let program = parse("let x := 1 + 2").unwrap();
    assert_eq!(program.stmts[0].span, Span::new(0, 14));
    let StmtKind::Decl { value, .. } = &program.stmts[0].kind else { panic!() };
    assert_eq!(value.span, Span::new(9, 14));
    assert!(matches!(value.kind, ExprKind::Binary { .. }));
}

#[test]
fn one_typo_gives_one_error() {
    let src = "let a := 1\nlet b := (2 +\nlet c := 3\nfunc f() {\n  x := [1, 2\n  return x\n}\nprint(a, b c)\nprint(c)";
    let found = errs(src);
    assert_eq!(found.len(), 3, "{found:#?}");
    let src = "func f() {\n  let x := 1 +\n}\nlet y := 2";
    assert_eq!(errs(src).len(), 1);
    let src = "if x { y := ) } z := 1";
    assert_eq!(errs(src).len(), 1);
    let src = "x := {\"a\": 1 \"b\": 2}\ny := 2";
    assert_eq!(errs(src).len(), 1);
}

#[test]
fn diagnostics_are_capped() {
    let src = "x := )\n".repeat(500);
    assert_eq!(parse(&src).unwrap_err().len(), MAX_DIAGNOSTICS);
    let src = "let x := )\n".repeat(500);
    let found = parse(&src).unwrap_err();
    assert_eq!(found.len(), MAX_DIAGNOSTICS);
    assert!(!found[MAX_DIAGNOSTICS - 1].notes.is_empty());
}

#[test]
fn expression_nesting_limit() {
    let ok = format!("x := {}1{}", "(".repeat(100), ")".repeat(100));
    assert!(parse(&ok).is_ok());
    let deep = MAX_EXPR_DEPTH as usize + 10;
    for (open, close) in [("(", ")"), ("[", "]"), ("-", ""), ("!", ""), ("f(", ")"), ("{\"k\": ", "}")] {
        let src = format!("x := {}1{}", open.repeat(deep), close.repeat(deep));
        let found = errs(&src);
        assert_eq!(found.len(), 1, "{open}: {found:?}");
        assert_eq!(found[0].0, "RUFPARSE003", "{open}");
    }
    let chain = format!("x := a{}", ".b".repeat(deep));
    assert_eq!(errs(&chain)[0].0, "RUFPARSE003");
    let sum = format!("x := 1{}", " + 1".repeat(deep));
    assert_eq!(errs(&sum)[0].0, "RUFPARSE003");
    let pattern = format!("let {}a{} := x", "[".repeat(deep), "]".repeat(deep));
    assert_eq!(errs(&pattern)[0].0, "RUFPARSE003");
    let ty = format!("let x: {}int{} := 1", "Option<".repeat(deep), ">".repeat(deep));
    assert_eq!(errs(&ty)[0].0, "RUFPARSE003");
}

#[test]
fn block_nesting_limit() {
    let ok = format!("{}x := 1{}", "if a { ".repeat(100), " }".repeat(100));
    assert!(parse(&ok).is_ok());
    let deep = MAX_BLOCK_DEPTH as usize + 10;
    let src = format!("{}x := 1{}", "if a { ".repeat(deep), " }".repeat(deep));
    let found = errs(&src);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "RUFPARSE003");
    let chain = format!("if a {{ x }}{}", " else if a { x }".repeat(deep));
    assert_eq!(errs(&chain)[0].0, "RUFPARSE003");
    let lambdas = format!("x := {}1{}", "func() { return ".repeat(deep), " }".repeat(deep));
    assert_eq!(errs(&lambdas)[0].0, "RUFPARSE003");
}

#[test]
fn collection_size_limit() {
    let ok = format!("x := [{}]", "1,".repeat(MAX_ITEMS));
    assert!(parse(&ok).is_ok());
    let big = format!("x := [{}]", "1,".repeat(MAX_ITEMS + 1));
    assert_eq!(errs(&big)[0].0, "RUFPARSE003");
    let args = format!("f({})", "1,".repeat(MAX_ITEMS + 1));
    assert_eq!(errs(&args)[0].0, "RUFPARSE003");
}

#[test]
fn max_depth_fits_in_a_small_stack() {
    // Worst-case nesting within the limits parses on a 2 MiB thread. Unoptimised
    // builds (opt-level 0; the workspace tests at 1) have frames several times larger
    // and may stop at the stack budget instead: a nesting error, never an overflow.
    fn parses_or_hits_budget(src: &str) {
        if let Err(diags) = parse(src) {
            assert_eq!(diags.len(), 1, "{diags:?}");
            assert_eq!(diags[0].code, "RUFPARSE003", "{diags:?}");
        }
    }
    let handle = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let depth = MAX_EXPR_DEPTH as usize - 2;
            for (open, close) in [("(", ")"), ("[", "]"), ("{\"k\": ", "}"), ("f(", ")")] {
                let n = if open == "f(" { depth / 2 } else { depth };
                parses_or_hits_budget(&format!("x := {}1{}", open.repeat(n), close.repeat(n)));
            }
            let blocks = MAX_BLOCK_DEPTH as usize - 1;
            parses_or_hits_budget(&format!("{}x := 1{}", "if a { ".repeat(blocks), " }".repeat(blocks)));
            let mixed = format!("x := {}1{}", "f(func() { return [".repeat(60), "] })".repeat(60));
            parses_or_hits_budget(&mixed);
            // Moderate nesting fits whatever the build.
            for (open, close) in [("(", ")"), ("[", "]"), ("{\"k\": ", "}"), ("if a { ", "}")] {
                let src = format!("x := 0; {}x{}", open.repeat(64), close.repeat(64));
                assert!(parse(&src).is_ok(), "{open}");
            }
        })
        .unwrap();
    handle.join().unwrap();
}
