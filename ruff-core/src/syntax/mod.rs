//! The front end: tokens, the lexer, the AST and the parser. Nothing here knows
//! about bytecode or the VM; errors are collected as [`crate::diag::Diagnostic`]s.

pub mod ast;
pub mod lexer;
pub mod parser;
pub mod token;

use crate::diag::Diagnostic;

/// Lexes and parses a whole file. Returns the program, or every diagnostic found
/// (lexer errors first; the parser recovers at statement boundaries).
pub fn parse(text: &str) -> Result<ast::Program, Vec<Diagnostic>> {
    let tokens = lexer::lex(text)?;
    parser::parse(text, &tokens)
}
