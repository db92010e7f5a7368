//! Names as Apple's tools print them: kpanic's demangler against LLVM's (`llvm-cxxfilt`, the
//! demangler of llvm-symbolizer, lldb and atos) on a sample of hard C++ names, most of them
//! from the benchmark dSYM (DuckDB against libc++), each one that cpp_demangle 0.5.1 printed
//! otherwise. The truth, testdata/demangle/llvm-cxxfilt.tsv, is llvm-cxxfilt's answer for each
//! name of testdata/demangle/names.txt, written by scripts/demangle-truth.sh.

use kpanic_symbols::{demangle, demangle_symbol};

const NAMES: &str = include_str!("../../../testdata/demangle/names.txt");
const TRUTH: &str = include_str!("../../../testdata/demangle/llvm-cxxfilt.tsv");

fn truth() -> Vec<(&'static str, &'static str)> {
    TRUTH
        .lines()
        .map(|l| l.split_once('\t').expect("mangled<TAB>demangled"))
        .collect()
}

/// Every name that differs, with both answers, so one run shows all of them.
fn differences(f: impl Fn(&str) -> String) -> Vec<String> {
    truth()
        .into_iter()
        .filter_map(|(mangled, want)| {
            let got = f(mangled);
            (got != want).then(|| format!("{mangled}\n  llvm: {want}\n  ours: {got}"))
        })
        .collect()
}

#[test]
fn truth_covers_every_sample_name() {
    let names: Vec<&str> = NAMES.lines().collect();
    let truth: Vec<&str> = truth().into_iter().map(|(m, _)| m).collect();
    assert_eq!(names, truth, "rerun scripts/demangle-truth.sh");
    assert!(truth.len() >= 300, "{} names", truth.len());
}

#[test]
fn dwarf_names_as_llvm_prints_them() {
    let diff = differences(|m| demangle(m).into_owned());
    assert!(
        diff.is_empty(),
        "{} of {} names:\n{}",
        diff.len(),
        truth().len(),
        diff.join("\n")
    );
}

/// The symbol-table path: Mach-O adds `_` to every name; split-out parts (`.cold.1`) and
/// LTO-renamed locals (`.llvm.123`) are only found there.
#[test]
fn symbol_table_names_as_llvm_prints_them() {
    let diff = differences(|m| demangle_symbol(&format!("_{m}")).into_owned());
    assert!(diff.is_empty(), "{}", diff.join("\n"));
}

/// Where LLVM's demangler misreads a name, we print what the mangling says (as libiberty's
/// c++filt does), in LLVM's spelling. BENCHMARKS.md ("Demangling parity") counts these.
#[test]
fn where_llvm_misreads_the_mangling() {
    // An inheriting constructor (`CI1 <base>`) is no substitution candidate: LLVM counts it
    // as one and names `S7_` wrongly ("default_delete<duckdb::unique_ptr<…>::unique_ptr>").
    assert_eq!(
        demangle(
            "_ZN6duckdb10unique_ptrINS_10BoundIndexENSt3__114default_deleteIS1_EELb1EECI1NS2_10uni\
             que_ptrIS1_S4_EEINS_3ARTENS3_IS7_EEvvEEONS6_IT_T0_EE"
        ),
        "duckdb::unique_ptr<duckdb::BoundIndex, std::__1::default_delete<duckdb::BoundIndex>, \
         true>::unique_ptr<duckdb::ART, std::__1::default_delete<std::__1::unique_ptr<duckdb::Bo\
         undIndex, std::__1::default_delete<duckdb::BoundIndex>>>, void, void>(std::__1::unique_\
         ptr<duckdb::ART, std::__1::default_delete<std::__1::unique_ptr<duckdb::BoundIndex, std:\
         :__1::default_delete<duckdb::BoundIndex>>>>&&)"
    );
    // `T_` of a function template whose template argument is a lambda inside another function
    // template is the outer function's first argument (`unsigned char*`); LLVM takes the inner
    // function's (`block_iterator_t<…>`).
    let name = demangle(
        "_ZN15duckdb_ska_sort6detail20custom_std_partitionIPhZNS0_21UnsignedInplaceSorterILm128EL\
         m1024ENS0_6SubKeyIRKyEELm8ELm0EE13ska_byte_sortIN6duckdb16block_iterator_tIKNSA_18Block\
         IteratorStateILNSA_22BlockIteratorStateTypeE0EEENSA_7SortKeyILNSA_11SortKeyTypeE1EEEEEN\
         SA_13SkaExtractKeyISI_EEEEvT_SM_RT0_PFvSM_SM_mSO_PvESP_EUlhE_EESM_SM_SM_OSN_",
    );
    assert!(
        name.starts_with("unsigned char* duckdb_ska_sort::detail::custom_std_partition<unsigned char*, void duckdb_ska_sort::"),
        "{name}"
    );
    assert!(
        name.ends_with("::'lambda'(unsigned char)>(unsigned char*, unsigned char*, void duckdb_ska_sort::detail::UnsignedInplaceSorter<128ul, 1024ul, duckdb_ska_sort::detail::SubKey<unsigned long long const&>, 8ul, 0ul>::ska_byte_sort<duckdb::block_iterator_t<duckdb::BlockIteratorState<(duckdb::BlockIteratorStateType)0> const, duckdb::SortKey<(duckdb::SortKeyType)1>>, duckdb::SkaExtractKey<duckdb::SortKey<(duckdb::SortKeyType)1>>>(duckdb::block_iterator_t<duckdb::BlockIteratorState<(duckdb::BlockIteratorStateType)0> const, duckdb::SortKey<(duckdb::SortKeyType)1>>, duckdb::block_iterator_t<duckdb::BlockIteratorState<(duckdb::BlockIteratorStateType)0> const, duckdb::SortKey<(duckdb::SortKeyType)1>>, duckdb::SkaExtractKey<duckdb::SortKey<(duckdb::SortKeyType)1>>&, void (*)(duckdb::block_iterator_t<duckdb::BlockIteratorState<(duckdb::BlockIteratorStateType)0> const, duckdb::SortKey<(duckdb::SortKeyType)1>>, duckdb::block_iterator_t<duckdb::BlockIteratorState<(duckdb::BlockIteratorStateType)0> const, duckdb::SortKey<(duckdb::SortKeyType)1>>, unsigned long, duckdb::SkaExtractKey<duckdb::SortKey<(duckdb::SortKeyType)1>>&, void*), void*)::'lambda'(unsigned char)&&)"),
        "{name}"
    );
}

/// Clang substitutes template parameters by (depth, index) alone, so a substitution first seen
/// in a function nested in the name (`S2_`, `inner`'s `T_&&`) stands, where the outer function
/// uses it, for the outer function's `T_&&`. LLVM's demangler binds it where it first appeared
/// and names the wrong types. Mangled by clang++ 22 (`-std=c++20`) from
///
/// ```c++
/// template <class X, class F> void outer(X&& x, F&& f) {}
/// template <class T> void inner(T&& t) { outer(1.0, [](){}); }            // inner<char>
/// template <class UInt, class Char, class F> Char* fmt(Char* out, UInt v, F f) { return out; }
/// template <class A, class C, class U> C g(C c, U u) { return fmt(c, 1u, [](C){}); }
/// template <class F> void forEach(F&& f) {}
/// template <class T> void user(T t) { forEach([](auto& x){}); }           // user<int>
/// template <class T> void f(T t) { auto a = []<class U>(U x) {}; a(1); }  // f<long>
/// ```
#[test]
fn substitutions_of_template_parameters_as_clang_means_them() {
    // LLVM: `outer<…>(char&&, …)`.
    assert_eq!(
        demangle("_Z5outerIdZ5innerIcEvOT_EUlvE_EvS2_OT0_"),
        "void outer<double, void inner<char>(char&&)::'lambda'()>(double&&, void \
         inner<char>(char&&)::'lambda'()&&)"
    );
    // LLVM: `char** fmt<…>(char**, unsigned int, unsigned int)`.
    assert_eq!(
        demangle("_Z3fmtIjcZ1gIiPcjET0_S2_T1_EUlS1_E_EPS2_S5_T_S3_"),
        "char* fmt<unsigned int, char, char* g<int, char*, unsigned int>(char*, unsigned \
         int)::'lambda'(char*)>(char*, unsigned int, char* g<int, char*, unsigned \
         int>(char*, unsigned int)::'lambda'(char*))"
    );
    // LLVM: `forEach<void user<int>(int)::'lambda'(int&)>(int&&)`.
    assert_eq!(
        demangle("_Z7forEachIZ4userIiEvT_EUlRS1_E_EvOS1_"),
        "void forEach<void user<int>(int)::'lambda'(auto&)>(void \
         user<int>(int)::'lambda'(auto&)&&)"
    );
    // LLVM: `'lambda'<typename $T>(long)::operator()<int>(long)`.
    assert_eq!(
        demangle("_ZZ1fIlEvT_ENKUlTyS0_E_clIiEEDaS0_"),
        "auto void f<long>(long)::'lambda'<typename $T>($T)::operator()<int>(int) const"
    );
    // The same in DuckDB (art_scanner.hpp): `ARTScanChildren(ART_TYPE &art, const NodePtr
    // current, CHILD_HANDLER &&child_handler, PUSH &&push)` with CHILD_HANDLER = `$_0&` and
    // PUSH = a lambda's `&`. LLVM: `(duckdb::ART&, duckdb::NodePtr, duckdb::NodePtr&&, $_0&)`.
    let name = demangle(
        "_ZN6duckdb15ARTScanChildrenINS_10NodeHandleENS_12PrefixHandleENS_3ARTERZNS3_15Initial\
         izeMergeERNS_7NodePtrERNS_6vectorIyLb0ENSt3__19allocatorIyEEEEE3$_0RZNS_23ARTScanPre\
         orderInternalIS1_S2_S3_S4_SD_RZNS3_15InitializeMergeES5_SB_E3$_1EEvRT1_RT2_OT3_OT4_E\
         UlS4_E_EEvSI_S4_OSJ_SM_",
    );
    assert!(
        name.contains(">(duckdb::ART&, duckdb::NodePtr, duckdb::ART::InitializeMerge(duckdb::NodePtr&, duckdb::vector<unsigned long long, false, std::__1::allocator<unsigned long long>>&)::$_0&, void duckdb::ARTScanPreorderInternal<"),
        "{name}"
    );
    assert!(name.ends_with("::'lambda'(duckdb::NodePtr)&)"), "{name}");
}

/// A pack declared with `Tp` (`TpTnmJ…E`) expands like any other; LLVM's parser keeps it as
/// an argument list rather than a parameter pack, so its expansions print `...` (empty) and
/// `1ul, 2ul...` (not expanded). libiberty cannot demangle these names. From the benchmark
/// dSYM (libc++'s `pair` piecewise constructor), and the same with the pack `<1ul, 2ul>`.
#[test]
fn packs_declared_with_tp_expand() {
    let name = |pack: &str| {
        demangle(&format!(
            "_ZNSt3__14pairIKhyEC1B9nqe220108IJOhEJEJLm0EETpTnm{pack}EENS_21piecewise_construct\
             _tERNS_5tupleIJDpT_EEERNS6_IJDpT0_EEENS_18__integer_sequenceImJXspT1_EEEENSF_ImJXs\
             pT2_EEEE"
        ))
        .into_owned()
    };
    assert!(
        name("JE").ends_with(
            "std::__1::tuple<>&, std::__1::__integer_sequence<unsigned long, 0ul>, \
             std::__1::__integer_sequence<unsigned long>)"
        ),
        "{}",
        name("JE")
    );
    assert!(
        name("JLm1ELm2EE").ends_with(
            "std::__1::__integer_sequence<unsigned long, 0ul>, \
             std::__1::__integer_sequence<unsigned long, 1ul, 2ul>)"
        ),
        "{}",
        name("JLm1ELm2EE")
    );
}
