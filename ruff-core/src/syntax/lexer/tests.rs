//! Lexer unit tests: one per rule of LANGUAGE.md §2 and one per diagnostic code.

use super::*;
use crate::syntax::token::StrPart;
use TokenKind::*;

fn kinds(text: &str) -> Vec<TokenKind> {
    match lex(text) {
        Ok(tokens) => tokens.into_iter().map(|t| t.kind).collect(),
        Err(diags) => panic!("unexpected lexer errors for {text:?}: {diags:?}"),
    }
}

fn errors(text: &str) -> Vec<(&'static str, String)> {
    match lex(text) {
        Ok(tokens) => panic!("expected lexer errors for {text:?}, got {tokens:?}"),
        Err(diags) => diags.into_iter().map(|d| (d.code, d.message)).collect(),
    }
}

fn ident(name: &str) -> TokenKind {
    Ident(name.to_string())
}

#[test]
fn empty_source_is_just_eof() {
    let tokens = lex("").unwrap();
    assert_eq!(tokens, vec![Token { kind: Eof, span: Span::new(0, 0) }]);
}

#[test]
fn comments_and_newlines_are_skipped() {
    let text = "a # one\nb // two\r\nc /* three\n more */ d\re /// doc";
    assert_eq!(kinds(text), vec![ident("a"), ident("b"), ident("c"), ident("d"), ident("e"), Eof]);
}

#[test]
fn keywords_and_identifiers() {
    assert_eq!(
        kinds("let mut const int string bool float self null true false Ok _x x1 héllo"),
        vec![
            Let,
            Mut,
            Const,
            IntKw,
            StringKw,
            BoolKw,
            FloatKw,
            SelfKw,
            Null,
            True,
            False,
            ident("Ok"),
            ident("_x"),
            ident("x1"),
            ident("héllo"),
            Eof
        ]
    );
    assert_eq!(kinds("test_group spawn await"), vec![TestGroup, Spawn, Await, Eof]);
}

#[test]
fn spans_are_byte_offsets() {
    let tokens = lex("é := 1").unwrap_err();
    assert_eq!(tokens[0].code, "RUFLEX001");
    assert_eq!(tokens[0].span, Span::new(0, 2));
    let tokens = lex("ab := 12").unwrap();
    let spans: Vec<Span> = tokens.iter().map(|t| t.span).collect();
    assert_eq!(spans, vec![Span::new(0, 2), Span::new(3, 5), Span::new(6, 8), Span::new(8, 8)]);
}

#[test]
fn numbers() {
    assert_eq!(kinds("0 007 42 9223372036854775807"), vec![Int(0), Int(7), Int(42), Int(i64::MAX), Eof]);
    assert_eq!(kinds("2.5 10.0"), vec![Float(2.5), Float(10.0), Eof]);
    assert_eq!(kinds("5."), vec![Int(5), Dot, Eof]);
    assert_eq!(kinds("5.x"), vec![Int(5), Dot, ident("x"), Eof]);
    assert_eq!(kinds("1..2"), vec![Int(1), Dot, Dot, Int(2), Eof]);
}

#[test]
fn operators_take_the_longest_match() {
    assert_eq!(
        kinds("+ += - -= -> * *= / /= % %= == = != ! < <= > >= && & || | |> := :: : ?? ?. ? ... . , ; ( ) [ ] { }"),
        vec![
            Plus,
            PlusEq,
            Minus,
            MinusEq,
            Arrow,
            Star,
            StarEq,
            Slash,
            SlashEq,
            Percent,
            PercentEq,
            EqEq,
            Eq,
            NotEq,
            Bang,
            Lt,
            Le,
            Gt,
            Ge,
            AndAnd,
            Amp,
            OrOr,
            Bar,
            PipeGt,
            ColonEq,
            ColonColon,
            Colon,
            QuestionQuestion,
            QuestionDot,
            Question,
            Ellipsis,
            Dot,
            Comma,
            Semi,
            LParen,
            RParen,
            LBracket,
            RBracket,
            LBrace,
            RBrace,
            Eof
        ]
    );
}

#[test]
fn string_escapes() {
    assert_eq!(kinds(r#""a\nb\t\r\\\"\$""#), vec![Str("a\nb\t\r\\\"$".to_string()), Eof]);
    assert_eq!(kinds(r#""\${x}""#), vec![Str("${x}".to_string()), Eof]);
    assert_eq!(kinds(r#""cost: $5""#), vec![Str("cost: $5".to_string()), Eof]);
}

#[test]
fn interpolation_embeds_tokens_with_absolute_spans() {
    let tokens = lex(r#""a${x + 1}b""#).unwrap();
    let Interp(parts) = &tokens[0].kind else { panic!("{tokens:?}") };
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[0], StrPart::Lit("a".to_string()));
    let StrPart::Expr { tokens: inner, span } = &parts[1] else { panic!() };
    assert_eq!(*span, Span::new(2, 10));
    let inner_kinds: Vec<_> = inner.iter().map(|t| t.kind.clone()).collect();
    assert_eq!(inner_kinds, vec![ident("x"), Plus, Int(1), Eof]);
    assert_eq!(inner[0].span, Span::new(4, 5));
    assert_eq!(inner[3].span, Span::new(9, 10));
    assert_eq!(parts[2], StrPart::Lit("b".to_string()));
}

#[test]
fn interpolation_allows_quotes_braces_and_nesting() {
    let tokens = lex(r#""${to_upper("a}")} ${ {"k": 1}["k"] } ${"${1}"}""#).unwrap();
    let Interp(parts) = &tokens[0].kind else { panic!("{tokens:?}") };
    let exprs = parts.iter().filter(|p| matches!(p, StrPart::Expr { .. })).count();
    assert_eq!(exprs, 3);
    assert_eq!(tokens.len(), 2);
}

#[test]
fn empty_interpolation_is_left_to_the_parser() {
    let tokens = lex(r#""${}""#).unwrap();
    let Interp(parts) = &tokens[0].kind else { panic!() };
    let StrPart::Expr { tokens: inner, .. } = &parts[0] else { panic!() };
    assert_eq!(inner.len(), 1);
}

#[test]
fn invalid_character() {
    assert_eq!(errors("x := 'a'")[0], ("RUFLEX001", "Invalid character: '\\''".to_string()));
    assert_eq!(errors("@")[0], ("RUFLEX001", "Invalid character: '@'".to_string()));
    assert_eq!(errors("x := 'it''s'").len(), 2);
    assert_eq!(errors("x := 'a' + 'b").len(), 2);
}

#[test]
fn nul_character() {
    assert_eq!(errors("a\0b")[0].0, "RUFLEX002");
}

#[test]
fn unterminated_string() {
    assert_eq!(errors("\"abc")[0].0, "RUFLEX003");
    assert_eq!(errors("\"abc\nx\"")[0].0, "RUFLEX003");
    // One report for a string cut by a line end inside nested interpolations.
    assert_eq!(errors("\"${ \"${ x\n }\" }\"").len(), 1);
    assert_eq!(errors("\"${ \"${ x\n")[0].0, "RUFLEX003");
    assert_eq!(errors("\"${ \"${ x\n").len(), 1);
}

#[test]
fn unterminated_comment() {
    assert_eq!(errors("a /* b")[0], ("RUFLEX004", "Unterminated block comment".to_string()));
}

#[test]
fn invalid_escape_doubles_the_backslash() {
    assert_eq!(errors(r#""\q""#)[0], ("RUFLEX005", "Invalid escape sequence: \\\\q".to_string()));
    assert_eq!(errors(r#""\u0041""#)[0].0, "RUFLEX005");
}

#[test]
fn numeric_overflow() {
    assert_eq!(
        errors("99999999999999999999")[0],
        ("RUFLEX006", "Numeric literal overflow: 99999999999999999999".to_string())
    );
    assert_eq!(errors("9223372036854775808")[0].0, "RUFLEX006");
}

#[test]
fn malformed_numbers() {
    assert_eq!(errors("1e5")[0], ("RUFLEX007", "Malformed numeric literal: 1e5".to_string()));
    assert_eq!(errors("2.5e3")[0].1, "Malformed numeric literal: 2.5e3");
    assert_eq!(errors("12abc")[0].1, "Malformed numeric literal: 12abc");
    assert_eq!(errors("1_000")[0].1, "Malformed numeric literal: 1_000");
}

#[test]
fn errors_are_all_collected() {
    let found = errors("@ 'x' 1e5 \"\\q\" 99999999999999999999");
    let codes: Vec<_> = found.iter().map(|(c, _)| *c).collect();
    assert_eq!(codes, vec!["RUFLEX001", "RUFLEX001", "RUFLEX007", "RUFLEX005", "RUFLEX006"]);
}

#[test]
fn error_count_is_capped() {
    let text = "@".repeat(10_000);
    assert_eq!(errors(&text).len(), MAX_DIAGNOSTICS);
}

#[test]
fn limits() {
    let long = "a".repeat(MAX_IDENT_CHARS + 1);
    assert_eq!(errors(&long)[0].0, "RUFLEX008");
    assert!(lex(&"a".repeat(MAX_IDENT_CHARS)).is_ok());

    let long = format!("\"{}\"", "x".repeat(MAX_STRING_CHARS + 1));
    assert_eq!(errors(&long)[0].0, "RUFLEX008");
    assert!(lex(&format!("\"{}\"", "é".repeat(MAX_STRING_CHARS))).is_ok());

    let huge = " ".repeat(MAX_SOURCE_BYTES + 1);
    assert_eq!(errors(&huge)[0].0, "RUFLEX008");

    let nested = "\"${".repeat(100);
    assert_eq!(errors(&nested)[0].0, "RUFLEX008");
    assert_eq!(errors(&nested).len(), 1);
}

#[test]
fn huge_literals_are_quoted_briefly() {
    let digits = "9".repeat(100_000);
    let found = errors(&digits);
    assert!(found[0].1.len() < 100, "{}", found[0].1);
}
