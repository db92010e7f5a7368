//! Names that the patches of PATCHES.md are about, each with what it stands
//! for: LLVM's demangler's output (llvm-cxxfilt 22) in LLVM style where it is
//! right, the declaration the compiler mangled where it is not, and libiberty's
//! c++filt's output in the default style.

use crate::{DemangleOptions, Symbol};
use alloc::string::String;

fn demangle(mangled: &str, options: DemangleOptions) -> String {
    Symbol::new(mangled)
        .expect("parses")
        .demangle_with_options(&options)
        .expect("demangles")
}

fn llvm(mangled: &str) -> String {
    demangle(mangled, DemangleOptions::new().llvm_style())
}

/// The default style, libiberty's c++filt's spelling.
fn gnu(mangled: &str) -> String {
    demangle(mangled, DemangleOptions::new())
}

/// What follows the function a local entity is in, where the default style
/// and libiberty differ (libiberty prints no return type for the function).
fn in_function(name: &str) -> &str {
    name.split_once("(long)::").map_or(name, |(_, local)| local)
}

/// Clang's substitutions of template parameters are by (depth, index): the
/// `S2_` that was `inner`'s `T_&&` is `outer`'s `T_&&` where `outer` uses it.
/// Mangled by clang++ 22 from
///
/// ```c++
/// template <class X, class F> void outer(X&& x, F&& f) {}
/// template <class T> void inner(T&& t) { outer(1.0, [](){}); }
/// template void inner<char>(char&&);
/// template <class UInt, class Char, class F> Char* fmt(Char* out, UInt v, F f) { return out; }
/// template <class A, class C, class U> C g(C c, U u) { return fmt(c, 1u, [](C){}); }
/// template char* g<int, char*, unsigned>(char*, unsigned);
/// ```
///
/// LLVM's demangler resolves template parameters where the substitution
/// first appeared: `outer<…>(char&&, …)`, `char** fmt<…>(char**, unsigned
/// int, unsigned int)`.
#[test]
fn template_params_in_a_substitution_are_those_where_it_is_used() {
    assert_eq!(
        llvm("_Z5outerIdZ5innerIcEvOT_EUlvE_EvS2_OT0_"),
        "void outer<double, void inner<char>(char&&)::'lambda'()>(double&&, \
         void inner<char>(char&&)::'lambda'()&&)"
    );
    assert_eq!(
        llvm("_Z3fmtIjcZ1gIiPcjET0_S2_T1_EUlS1_E_EPS2_S5_T_S3_"),
        "char* fmt<unsigned int, char, char* g<int, char*, unsigned int>(char*, unsigned \
         int)::'lambda'(char*)>(char*, unsigned int, char* g<int, char*, unsigned \
         int>(char*, unsigned int)::'lambda'(char*))"
    );
}

/// C++20 lambdas with template parameter lists, in a function template
/// `f<long>`: `[]<int N>() {}`, `[]<class... Ts>() {}`,
/// `[]<template<class> class TT>() {}`, `[]<class U, class V, int M, int P>()
/// {}` (mangled by clang++ 22). LLVM numbers the invented names by kind,
/// libiberty by place.
#[test]
fn lambda_template_parameter_lists() {
    assert_eq!(
        llvm("_ZZ1fIlEvT_ENKUlTnivE_clILi3EEEDav"),
        "auto void f<long>(long)::'lambda'<int $N>()::operator()<3>() const"
    );
    assert_eq!(
        in_function(&gnu("_ZZ1fIlEvT_ENKUlTnivE_clILi3EEEDav")),
        in_function("auto f<long>(long)::{lambda<int $N0>()#1}::operator()<3>() const")
    );
    assert_eq!(
        llvm("_ZZ1fIlEvT_ENKUlTpTyvE_clIJEEEDav"),
        "auto void f<long>(long)::'lambda'<typename ...$T>()::operator()<>() const"
    );
    assert_eq!(
        in_function(&gnu("_ZZ1fIlEvT_ENKUlTpTyvE_clIJEEEDav")),
        in_function("auto f<long>(long)::{lambda<typename... $T0>()#1}::operator()<>() const")
    );
    assert_eq!(
        llvm("_ZZ1fIlEvT_ENKUlTtTyEvE_clI3BoxEEDav"),
        "auto void f<long>(long)::'lambda'<template<typename $T> typename $TT>()\
         ::operator()<Box>() const"
    );
    assert_eq!(
        in_function(&gnu("_ZZ1fIlEvT_ENKUlTtTyEvE_clI3BoxEEDav")),
        in_function(
            "auto f<long>(long)::{lambda<template<typename> class $TT0>()#1}\
         ::operator()<Box>() const"
        )
    );
    assert_eq!(
        llvm("_ZZ1fIlEvT_ENKUlTyTyTniTnivE_clIicLi1ELi2EEEDav"),
        "auto void f<long>(long)::'lambda'<typename $T, typename $T0, int $N, int $N0>()\
         ::operator()<int, char, 1, 2>() const"
    );
    assert_eq!(
        in_function(&gnu("_ZZ1fIlEvT_ENKUlTyTyTniTnivE_clIicLi1ELi2EEEDav")),
        in_function(
            "auto f<long>(long)::{lambda<typename $T0, typename $T1, int $N2, int $N3>()#1}\
         ::operator()<int, char, 1, 2>() const"
        )
    );
}

/// The parameters of such lambdas name the lambda's template parameters,
/// even through a substitution of the enclosing function's (`S0_`, by
/// Clang's (depth, index) identity of template parameters); a parameter
/// past them is a generic lambda's `auto`. From `[]<class U>(U x) {}`,
/// `[]<class U>(U, auto) {}`, `[]<class... Ts>(Ts... xs) {}` and
/// `[]<unsigned long... N>(seq<unsigned long, N...>) {}` in `f<long>`, called
/// with `(1)`, `(1, 2.0)`, `(1, 'c')` and `seq<unsigned long, 0, 1>`. LLVM
/// prints `'lambda'<typename $T>(long)::operator()<int>(long)` for the
/// first; libiberty agrees with these.
#[test]
fn lambda_template_parameters_in_parameter_types() {
    assert_eq!(
        llvm("_ZZ1fIlEvT_ENKUlTyS0_E_clIiEEDaS0_"),
        "auto void f<long>(long)::'lambda'<typename $T>($T)::operator()<int>(int) const"
    );
    assert_eq!(
        llvm("_ZZ1fIlEvT_ENKUlTyS0_T0_E_clIidEEDaS0_S1_"),
        "auto void f<long>(long)::'lambda'<typename $T>($T, auto)\
         ::operator()<int, double>(int, double) const"
    );
    assert_eq!(
        llvm("_ZZ1fIlEvT_ENKUlTpTyDpT_E_clIJicEEEDaS2_"),
        "auto void f<long>(long)::'lambda'<typename ...$T>($T...)\
         ::operator()<int, char>(int, char) const"
    );
    assert_eq!(
        llvm("_ZZ1fIlEvT_ENKUlTpTnm3seqImJXspT_EEEE_clIJLm0ELm1EEEEDaS2_"),
        "auto void f<long>(long)::'lambda'<unsigned long ...$N>(seq<unsigned long, $N...>)\
         ::operator()<0ul, 1ul>(seq<unsigned long, 0ul, 1ul>) const"
    );
    assert_eq!(
        in_function(&gnu("_ZZ1fIlEvT_ENKUlTyS0_T0_E_clIidEEDaS0_S1_")),
        in_function(
            "auto f<long>(long)::{lambda<typename $T0>($T0, auto:2)#1}\
         ::operator()<int, double>(int, double) const"
        )
    );
}

/// `Tp`-declared packs (C++20 template parameter declarations before an
/// argument pack) expand like any other: `__integer_sequence<unsigned long>`
/// for an empty one, `<unsigned long, 1ul, 2ul>` for `<1ul, 2ul>`. LLVM's
/// parser keeps such a pack as an argument list rather than a parameter pack
/// (`parseTemplateArgs` tests the kind of the declaration-qualified argument,
/// not of the argument), so its expansions print `...` and `1ul, 2ul...`;
/// libiberty cannot demangle these names.
#[test]
fn packs_declared_with_tp_expand() {
    let name = |pack: &str| {
        format!(
            "_ZNSt3__14pairIKhyEC1B9nqe220108IJOhEJEJLm0EETpTnm{}EENS_21piecewise_\
             construct_tERNS_5tupleIJDpT_EEERNS6_IJDpT0_EEENS_18__integer_sequenceImJXspT1_EEE\
             ENSF_ImJXspT2_EEEE",
            pack
        )
    };
    assert!(llvm(&name("JE")).ends_with(
        "std::__1::__integer_sequence<unsigned long, 0ul>, \
         std::__1::__integer_sequence<unsigned long>)"
    ));
    assert!(llvm(&name("JLm1ELm2EE")).ends_with(
        "std::__1::__integer_sequence<unsigned long, 0ul>, \
         std::__1::__integer_sequence<unsigned long, 1ul, 2ul>)"
    ));
}

/// LLVM's spellings of vector types, of a conversion of an expression list
/// and of the constructors and destructors of unnamed types (llvm-cxxfilt 22).
#[test]
fn llvm_spellings() {
    assert_eq!(
        llvm("_ZNSt3__116__find_first_setB9nqe220108IlLm2EEEmDvT0__T_"),
        "unsigned long std::__1::__find_first_set[abi:nqe220108]<long, 2ul>(long vector[2ul])"
    );
    assert_eq!(
        gnu("_ZNSt3__116__find_first_setB9nqe220108IlLm2EEEmDvT0__T_"),
        "unsigned long std::__1::__find_first_set[abi:nqe220108]<long, 2ul>(long __vector(2ul))"
    );
    assert_eq!(llvm("_Z1fDv4_f"), "f(float vector[4])");
    assert_eq!(llvm("_Z1fIiEDTcvT__EEv"), "decltype((int)()) f<int>()");
    assert_eq!(
        llvm("_ZNSt3__110unique_ptrI3DIRNS_8functionIFvPS1_EEEEUt_D1Ev"),
        "std::__1::unique_ptr<DIR, std::__1::function<void (DIR*)>>::'unnamed'::~()"
    );
    assert_eq!(
        llvm("_ZNSt3__110unique_ptrI3DIRNS_8functionIFvPS1_EEEEUt_C1Ev"),
        "std::__1::unique_ptr<DIR, std::__1::function<void (DIR*)>>::'unnamed'::()"
    );
}
