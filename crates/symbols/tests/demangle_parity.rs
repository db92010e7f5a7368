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
