//! Every signature shape the attributes must keep compiling, and every misuse
//! they must reject with an error at the offending token.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
