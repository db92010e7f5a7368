#!/usr/bin/env bash
# scripts/build-fixtures.sh [OUTDIR]      (default: testdata/fixtures of this repository)
#
# Small REAL Mach-O fixtures + dSYMs, built on Debian 12 (x86_64) with Debian's
# clang-22 / lld-22 (ld64.lld) / dsymutil-22 -- no Apple SDK, no network beyond apt.
# Adapted from the project's shared fixture script; kpanic additions:
#   OUTDIR/truth/<arch>-<bin>.nm   llvm-nm -n --defined-only -C (symbol-table fallback truth)
#   OUTDIR/fileset/kernelcache.fixture   synthetic MH_FILESET (scripts/make-fileset.py): the
#                          arm64e kernel + the arm64e kext slid to 0xfffffe0007020000;
#                          truth/fileset-fxdriver.kext.nm is the slid kext's llvm-nm
#   OUTDIR/kdk-t8112/kernel.release.t8112[.dSYM]  the arm64e kernel with a zerofill pad in
#                          __DATA_CONST so that __TEXT_EXEC - __TEXT = 0x2B4000, as in KDK 15.4's
#                          kernel.release.t8112 (the README's --text-exec-address example);
#                          truth/kdk-t8112-kernel.release.t8112.{callsites,retaddrs,json,nm}
# The generated files are committed, so tests never need clang.
#
#   OUTDIR/<arch>/{fxexec,libfx.dylib,fxdriver.kext,kernel.fixture}[.dSYM]
#       arch = arm64e (macOS 12), arm64 (macOS 11), x86_64 (macOS 10.15)
#   OUTDIR/universal/...   fat (x86_64+arm64+arm64e) exec, fat kext (x86_64+arm64e) + fat dSYMs
#   OUTDIR/dwarf5/...      arm64e kernel built with -gdwarf-5
#   OUTDIR/truth/<arch>-<bin>.{callsites,retaddrs,json}  every call site, its return address, and
#                          llvm-symbolizer JSON (inlined frames) for the call site
#   OUTDIR/report.txt      otool/dwarfdump/symbolizer dump used to check it all
#
# Layouts:
#   fxexec          MH_EXECUTE, __PAGEZERO + __TEXT@0x100000000, imports from a stub libSystem.tbd
#   libfx.dylib     MH_DYLIB, __TEXT@0
#   fxdriver.kext   MH_BUNDLE linked by lld, filetype patched to MH_KEXT_BUNDLE (0xb);
#                   arm64e: __TEXT@0, __TEXT_EXEC@0x4000 (code), __DATA, __DATA_CONST, __LINKEDIT
#                   (lld always puts __TEXT,__DATA_CONST,__DATA before any other segment, so
#                   they are linked as __KDATA/__KDATA_CONST and renamed back by machofix.py)
#   kernel.fixture  MH_EXECUTE without __PAGEZERO, slid with machofix.py so that
#                   arm64e: __TEXT@0xfffffe0007004000, __DATA_CONST, __TEXT_EXEC, __KLD,
#                           __PPLTEXT, __DATA (code in three executable segments)
#                   x86_64: __TEXT@0xffffff8000200000 (code stays in __TEXT like Intel kernels)
# arm64e: lld writes cpusubtype ARM64_ALL for -arch arm64e, so machofix.py sets 0x80000002
# (ARM64E|PTRAUTH_ABI) before dsymutil (dsymutil needs binary and .o subtypes to agree).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/../testdata/fixtures}
V=${LLVM_VERSION:-22}   # 22 = Debian 12 bookworm-security; 19 = bookworm main (no arm64e ptrauth codegen)
LLVM=/usr/lib/llvm-$V/bin

need=()
for p in clang-$V lld-$V llvm-$V python3; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if ((${#need[@]})); then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"
fi

CC=$LLVM/clang
LD=$LLVM/ld64.lld
FIX="python3 $HERE/machofix.py"
MKFILESET="python3 $HERE/make-fileset.py"
export ZERO_AR_DATE=1   # lld: zero N_OSO mtimes (dsymutil then skips the timestamp check)

# Only generated paths are removed: OUTDIR also holds the hand-written README.md.
mkdir -p "$OUT"
for g in arm64e arm64 x86_64 dwarf5 universal fileset kdk-t8112 truth src obj sdk .toolbin report.txt; do
  rm -rf "${OUT:?}/$g"
done
mkdir -p "$OUT"/src "$OUT"/obj "$OUT"/truth "$OUT"/universal "$OUT"/dwarf5
OUT=$(cd "$OUT" && pwd)
cd "$OUT"   # DW_AT_comp_dir = $OUT, remapped to /fixtures
SRC=$OUT/src

# ---------------------------------------------------------------- sources
cat > "$SRC/fx.h" <<'EOF'
#ifndef FX_H
#define FX_H
#ifdef __cplusplus
extern "C" {
#endif
void panic(const char *msg, long value) __attribute__((noreturn));
/* three-deep always_inline chain: gives 3 inlined frames at one pc */
static inline __attribute__((always_inline)) long fx_inner(long x) {
  if (x == 0x4242) panic("fx_inner: bad value", x);
  return x * 7 + (x >> 2);
}
static inline __attribute__((always_inline)) long fx_middle(long x) {
  long r = fx_inner(x + 1);
  return r ^ 0x55;
}
static inline __attribute__((always_inline)) long fx_outer(long x) {
  return fx_middle(x * 3) - 1;
}
long vm_fault(long addr, int prot);
long thread_invoke(long a, long b);
long fx_cxx_dispatch(long x);
extern long fx_counter;
#ifdef __cplusplus
}
#endif
#endif
EOF

cat > "$SRC/kern_panic.c" <<'EOF'
#include "fx.h"
long fx_counter = 1;
volatile const char *panic_string;
__attribute__((noinline)) static void panic_trap_to_debugger(const char *msg, long v) {
  panic_string = msg;
  fx_counter += v;
  __builtin_trap();
}
__attribute__((noinline)) void panic(const char *msg, long value) {
  panic_trap_to_debugger(msg, value);
  __builtin_unreachable();
}
EOF

cat > "$SRC/vm_fault.c" <<'EOF'
#include "fx.h"
struct vm_page { long phys; int wired; };
static struct vm_page pages[64];
static inline __attribute__((always_inline)) struct vm_page *vm_page_lookup(long addr) {
  struct vm_page *p = &pages[(addr >> 14) & 63];
  if (p->wired < 0) panic("vm_page_lookup: corrupt page", addr);
  return p;
}
__attribute__((noinline)) long vm_fault(long addr, int prot) {
  long acc = 0;
  for (long i = 0; i < (addr & 7); i++) acc += fx_outer(i + fx_counter);
  struct vm_page *p = vm_page_lookup(addr + acc);
  if (prot & 4) p->wired++;
  return p->phys + acc;
}
EOF

cat > "$SRC/sched.c" <<'EOF'
#include "fx.h"
static long (*const continuations[])(long, int) = { vm_fault, vm_fault };
static inline long thread_continue(long a, int which) {
  return continuations[which & 1](fx_outer(a), which);
}
__attribute__((noinline)) long thread_invoke(long a, long b) {
  long r = thread_continue(a, (int)b);
  if (r == 0x1234) panic("thread_invoke: bad continuation", r);
  return r + fx_cxx_dispatch(b);
}
EOF

cat > "$SRC/iokit.cpp" <<'EOF'
#include "fx.h"
namespace fx { namespace io {
class OSObjectFx {
public:
  virtual long retain(long n) { return n + 1; }
  virtual long handle(long x);
};
class IOFixtureService : public OSObjectFx {
public:
  long handle(long x) override;
  template <typename T> __attribute__((noinline)) T frob(T a) { return inl(a) + (T)state; }
  template <typename T> static inline __attribute__((always_inline)) T inl(T a) { return (T)fx_outer((long)a) * 2; }
  long state = 3;
};
long OSObjectFx::handle(long x) { return retain(x); }
__attribute__((noinline)) long IOFixtureService::handle(long x) {
  auto lam = [this](long y) __attribute__((noinline)) { return frob<long>(y) + frob<int>((int)y); };
  return lam(x);
}
static IOFixtureService service;
} }
extern "C" void __cxa_pure_virtual(void) { panic("pure virtual", 0); }
extern "C" long fx_cxx_dispatch(long x) {
  fx::io::OSObjectFx *o = &fx::io::service;
  return o->handle(x);
}
EOF

cat > "$SRC/start.c" <<'EOF'
#include "fx.h"
long pmap_enter_options_internal(long pa, int prot);
long kxld_link_file(long a);
__attribute__((noinline)) long kernel_bootstrap(long arg) {
  long r = kxld_link_file(arg) + pmap_enter_options_internal(arg, 3);
  return thread_invoke(fx_outer(arg), r & 1);
}
void _start(long arg) { kernel_bootstrap(arg); for (;;) {} }
EOF

# code outside __TEXT_EXEC, as in the real arm64e kernel (PPL and kernel-linker segments)
cat > "$SRC/ppl.c" <<'EOF'
#include "fx.h"
#define PPLTEXT __attribute__((section("__PPLTEXT,__text,regular,pure_instructions")))
static inline __attribute__((always_inline)) long pa_index(long pa) {
  if (pa < 0) panic("pa_index: negative pa", pa);
  return fx_outer(pa >> 14);
}
PPLTEXT __attribute__((noinline)) long pmap_enter_options_internal(long pa, int prot) {
  return pa_index(pa) + prot;
}
EOF
cat > "$SRC/kld.c" <<'EOF'
#include "fx.h"
__attribute__((section("__KLD,__text,regular,pure_instructions"), noinline))
long kxld_link_file(long a) { return fx_outer(a) + 1; }
EOF

cat > "$SRC/main.c" <<'EOF'
#include "fx.h"
int printf(const char *, ...);
void abort(void) __attribute__((noreturn));
void panic(const char *msg, long value) { printf("panic: %s %ld\n", msg, value); abort(); }
long fx_counter = 1;
__attribute__((noinline)) long vm_fault(long addr, int prot) { return fx_outer(addr) + prot; }
__attribute__((noinline)) long thread_invoke(long a, long b) { return vm_fault(a, (int)b) + fx_cxx_dispatch(a); }
int main(int argc, char **argv) { (void)argv; return (int)thread_invoke(argc, fx_outer(argc)); }
EOF

cat > "$SRC/kext.c" <<'EOF'
#include "fx.h"
/* kernel symbols: resolved at kext load time (-undefined dynamic_lookup) */
extern void IOLog(const char *fmt, ...);
struct kmod_info;
static long fxdriver_state[4] = { 1, 2, 3, 4 };
static inline __attribute__((always_inline)) long fxdriver_check(long v) {
  if (v > 1000) panic("fxdriver: state out of range", v);
  return fx_outer(v);
}
__attribute__((noinline)) long fxdriver_handle_interrupt(long v) {
  fxdriver_state[v & 3] += fxdriver_check(v);
  return fxdriver_state[v & 3];
}
int fxdriver_start(struct kmod_info *ki, void *d) {
  (void)ki; IOLog("fxdriver start\n");
  return (int)fxdriver_handle_interrupt((long)d);
}
int fxdriver_stop(struct kmod_info *ki, void *d) { (void)ki; (void)d; return 0; }
EOF

# stub libSystem (text-based stub, TAPI v4) so user binaries get real dyld imports
mkdir -p "$OUT/sdk/usr/lib"
cat > "$OUT/sdk/usr/lib/libSystem.tbd" <<'EOF'
--- !tapi-tbd
tbd-version:     4
targets:         [ x86_64-macos, arm64-macos, arm64e-macos ]
install-name:    '/usr/lib/libSystem.B.dylib'
current-version: 1319
exports:
  - targets:         [ x86_64-macos, arm64-macos, arm64e-macos ]
    symbols:         [ _printf, _abort, _malloc, _free, dyld_stub_binder ]
...
EOF

# ---------------------------------------------------------------- build
# arch  triple                     -arch   platform  kernel-base
ARCHES=(
  "arm64e arm64e-apple-macos12   arm64e 12.0 0xfffffe0007004000"
  "arm64  arm64-apple-macos11    arm64  11.0 -"
  "x86_64 x86_64-apple-macos10.15 x86_64 10.15 0xffffff8000200000"
)
CFLAGS_COMMON=(-g -O2 -fno-stack-protector -fno-exceptions -fno-rtti -ffreestanding -fno-builtin)
# lld cannot link arm64e ptrauth relocations in data (ARM64_RELOC_AUTHENTICATED_POINTER:
# "INVALID relocation has invalid width of 8 bytes"): keep pacibsp/retab, drop signed fn pointers
ARM64E_FLAGS=(-fno-ptrauth-calls)

compile() { # arch triple out-dir extra-flags... ; compiles every source
  local arch=$1 triple=$2 od=$3; shift 3
  local extra=("$@")
  [[ $arch == arm64e ]] && extra+=("${ARM64E_FLAGS[@]}")
  mkdir -p "$od"
  for f in kern_panic vm_fault sched start main kext ppl kld; do
    $CC -target "$triple" "${CFLAGS_COMMON[@]}" "${extra[@]}" -fdebug-prefix-map="$OUT"=/fixtures \
      -c "$SRC/$f.c" -o "$od/$f.o"
  done
  $CC -target "$triple" "${CFLAGS_COMMON[@]}" "${extra[@]}" -fdebug-prefix-map="$OUT"=/fixtures \
    -std=c++17 -x c++ -c "$SRC/iokit.cpp" -o "$od/iokit.o"
}

finish() { # file arch : arm64e subtype patch
  if [[ $2 == arm64e ]]; then $FIX cpusubtype "$1" 0x80000002; fi
}

dsym() { "$LLVM/dsymutil" "$1" -o "$1.dSYM"; }

link_all() { # arch triple ldarch platform kbase objdir outdir
  local arch=$1 triple=$2 ldarch=$3 plat=$4 kbase=$5 od=$6 dst=$7
  local A=(-arch "$ldarch" -platform_version macos "$plat" "$plat")
  local sign=()
  [[ $arch == arm64e ]] && sign=(-no_adhoc_codesign)   # we patch the header afterwards
  mkdir -p "$dst"
  # user executable with imports from libSystem
  $LD "${A[@]}" "${sign[@]}" -syslibroot "$OUT/sdk" -lSystem -e _main \
      -o "$dst/fxexec" "$od/main.o" "$od/iokit.o"
  finish "$dst/fxexec" "$arch"; dsym "$dst/fxexec"
  # dylib
  $LD "${A[@]}" "${sign[@]}" -dylib -install_name /usr/lib/libfx.dylib -undefined dynamic_lookup \
      -o "$dst/libfx.dylib" "$od/vm_fault.o" "$od/sched.o" "$od/iokit.o" "$od/kern_panic.o"
  finish "$dst/libfx.dylib" "$arch"; dsym "$dst/libfx.dylib"
  [[ $kbase == - ]] && return 0
  # kext: bundle at vmaddr 0, code in __TEXT_EXEC on arm64e, filetype -> MH_KEXT_BUNDLE
  local kx=(-no_adhoc_codesign)
  [[ $arch == arm64e ]] && kx+=(-rename_section __TEXT __text __TEXT_EXEC __text
                               -segprot __TEXT_EXEC r-x r-x
                               -rename_segment __DATA __KDATA -rename_segment __DATA_CONST __KDATA_CONST)
  $LD "${A[@]}" -bundle -undefined dynamic_lookup "${kx[@]}" \
      -o "$dst/fxdriver.kext" "$od/kext.o"
  $FIX filetype "$dst/fxdriver.kext" 0xb
  if [[ $arch == arm64e ]]; then   # -> __TEXT, __TEXT_EXEC, __DATA, __DATA_CONST, __LINKEDIT
    $FIX rename-segment "$dst/fxdriver.kext" __KDATA __DATA
    $FIX rename-segment "$dst/fxdriver.kext" __KDATA_CONST __DATA_CONST
  fi
  finish "$dst/fxdriver.kext" "$arch"; dsym "$dst/fxdriver.kext"
  # kernel: MH_EXECUTE, no __PAGEZERO, then slid to the kernel base
  local kk=(-no_adhoc_codesign -no_fixup_chains -pagezero_size 0 -e __start -segprot __KLD r-x r-x)
  local kobj=("$od/start.o" "$od/kld.o" "$od/ppl.o" "$od/sched.o" "$od/vm_fault.o" "$od/iokit.o"
              "$od/kern_panic.o")
  if [[ $arch == arm64e ]]; then
    kk+=(-rename_section __TEXT __text __TEXT_EXEC __text -segprot __TEXT_EXEC r-x r-x
         -segprot __PPLTEXT r-x r-x -rename_segment __DATA __KDATA)
  else
    kk+=(-rename_section __PPLTEXT __text __TEXT __text)   # no PPL on Intel
  fi
  local kname=${KNAME:-kernel.fixture}
  local kextra=()
  [[ -n ${KEXTRA:-} ]] && kextra=("$KEXTRA")
  $LD "${A[@]}" "${kk[@]}" -o "$dst/$kname" "${kobj[@]}" "${kextra[@]}"
  # arm64e -> __TEXT, __DATA_CONST, __TEXT_EXEC, __KLD, __PPLTEXT, __DATA, __LINKEDIT (input order)
  if [[ $arch == arm64e ]]; then $FIX rename-segment "$dst/$kname" __KDATA __DATA; fi
  finish "$dst/$kname" "$arch"
  $FIX slide "$dst/$kname" "$kbase"
  dsym "$dst/$kname"
}

for spec in "${ARCHES[@]}"; do
  read -r arch triple ldarch plat kbase <<<"$spec"
  compile "$arch" "$triple" "$OUT/obj/$arch"
  link_all "$arch" "$triple" "$ldarch" "$plat" "$kbase" "$OUT/obj/$arch" "$OUT/$arch"
done

# DWARF 5 flavour of the arm64e kernel
compile arm64e arm64e-apple-macos12 "$OUT/obj/arm64e-dwarf5" -gdwarf-5
link_all arm64e arm64e-apple-macos12 arm64e 12.0 0xfffffe0007004000 "$OUT/obj/arm64e-dwarf5" "$OUT/dwarf5"
rm -rf "$OUT"/dwarf5/fxexec* "$OUT"/dwarf5/libfx*

# KDK-like kernel: a 16K-aligned zerofill section ends __DATA_CONST at __TEXT + 0x2B4000, so
# __TEXT_EXEC lands where KDK 15.4's kernel.release.t8112 has it (0xfffffe00072b8000). Zerofill
# takes no file space.
echo '.zerofill __DATA_CONST,__kdk_pad,_kdk_layout_pad,0x2ac000,14' > "$OUT/obj/kdkpad.s"
$CC -target arm64e-apple-macos12 -c "$OUT/obj/kdkpad.s" -o "$OUT/obj/arm64e/kdkpad.o"
KNAME=kernel.release.t8112 KEXTRA="$OUT/obj/arm64e/kdkpad.o" \
  link_all arm64e arm64e-apple-macos12 arm64e 12.0 0xfffffe0007004000 "$OUT/obj/arm64e" "$OUT/obj/kdk"
mkdir -p "$OUT/kdk-t8112"
mv "$OUT/obj/kdk/kernel.release.t8112" "$OUT/obj/kdk/kernel.release.t8112.dSYM" "$OUT/kdk-t8112/"
te=$($FIX show "$OUT/kdk-t8112/kernel.release.t8112" | awk '$1=="__TEXT_EXEC"{print $2}')
if [[ $te != vmaddr=0xfffffe00072b8000 ]]; then
  echo "kdk-t8112: __TEXT_EXEC $te, want vmaddr=0xfffffe00072b8000" >&2; exit 1
fi

# universal (fat) binaries; dsymutil on a fat input writes a fat DWARF file
U=$OUT/universal
"$LLVM/llvm-lipo" -create "$OUT/x86_64/fxexec" "$OUT/arm64/fxexec" "$OUT/arm64e/fxexec" -output "$U/fxexec"
"$LLVM/llvm-lipo" -create "$OUT/x86_64/fxdriver.kext" "$OUT/arm64e/fxdriver.kext" -output "$U/fxdriver.kext"
# dsymutil runs `lipo` (from PATH or --toolchain) to merge the per-arch DWARF files
# (without one: "error: lipo: No such file or directory"); Debian only has llvm-lipo
mkdir -p "$OUT/.toolbin" && ln -sf "$LLVM/llvm-lipo" "$OUT/.toolbin/lipo"
PATH="$OUT/.toolbin:$PATH" dsym "$U/fxexec"
PATH="$OUT/.toolbin:$PATH" dsym "$U/fxdriver.kext"

# ---------------------------------------------------------------- ground truth
# For every call instruction: NAME.callsites = its address, NAME.retaddrs = the next
# instruction (what a backtrace/panic log holds as lr), NAME.json = llvm-symbolizer
# (function, file:line:col, all inlined frames) for the call site, which is also the
# expected answer for "retaddr - 1". ModuleName is made relative to OUTDIR.
truth() { # binary dwarf-file arch-for-objdump name
  local bin=$1 dw=$2 arch=$3 name=$4
  "$LLVM/llvm-objdump" -d --no-show-raw-insn "$bin" | awk -v cs="$OUT/truth/$name.callsites" \
      -v ra="$OUT/truth/$name.retaddrs" '
    /^ *[0-9a-f]+:/ { a=$1; sub(":","",a); if (pending) { print "0x" a > ra; pending=0 } }
    /\t(bl|blr|blraa|blraaz|call|callq)\t/ { print "0x" a > cs; pending=1 }'
  "$LLVM/llvm-symbolizer" --obj="$dw" --inlining --functions=linkage --demangle \
      --output-style=JSON < "$OUT/truth/$name.callsites" | sed "s#$OUT/##g" > "$OUT/truth/$name.json"
}
for arch in arm64e arm64 x86_64; do
  oa=$arch; [[ $arch == arm64e ]] && oa=arm64
  for b in fxexec libfx.dylib fxdriver.kext kernel.fixture; do
    [[ -f $OUT/$arch/$b ]] || continue
    truth "$OUT/$arch/$b" "$OUT/$arch/$b.dSYM/Contents/Resources/DWARF/$b" "$oa" "$arch-$b"
  done
done
truth "$OUT/dwarf5/kernel.fixture" "$OUT/dwarf5/kernel.fixture.dSYM/Contents/Resources/DWARF/kernel.fixture" arm64 dwarf5-kernel.fixture
K=$OUT/kdk-t8112/kernel.release.t8112
truth "$K" "$K.dSYM/Contents/Resources/DWARF/kernel.release.t8112" arm64 kdk-t8112-kernel.release.t8112

# symbol-table truth (llvm-nm -C demangles, keeping C names' Mach-O underscore)
for arch in arm64e arm64 x86_64 dwarf5 kdk-t8112; do
  for b in fxexec libfx.dylib fxdriver.kext kernel.fixture kernel.release.t8112; do
    [[ -f $OUT/$arch/$b ]] || continue
    "$LLVM/llvm-nm" -n --defined-only -C "$OUT/$arch/$b" > "$OUT/truth/$arch-$b.nm"
  done
done

# synthetic MH_FILESET kernelcache: the kernel + the kext slid to its own range
mkdir -p "$OUT/fileset"
cp "$OUT/arm64e/fxdriver.kext" "$OUT/obj/fxdriver.kext.slid"
$FIX slide "$OUT/obj/fxdriver.kext.slid" 0xfffffe0007020000
"$LLVM/llvm-nm" -n --defined-only -C "$OUT/obj/fxdriver.kext.slid" > "$OUT/truth/fileset-fxdriver.kext.nm"
$MKFILESET "$OUT/fileset/kernelcache.fixture" "$OUT/arm64e/kernel.fixture" "$OUT/obj/fxdriver.kext.slid" 0xfffffe0007020000

# ---------------------------------------------------------------- report
{
  echo "# tools"; "$CC" --version | head -1; "$LD" --version; "$LLVM/dsymutil" --version | head -2
  for arch in arm64e arm64 x86_64; do
    for b in fxexec libfx.dylib fxdriver.kext kernel.fixture; do
      f=$OUT/$arch/$b; [[ -f $f ]] || continue
      echo; echo "################ $arch/$b"
      $FIX show "$f"
      "$LLVM/llvm-dwarfdump" --uuid "$f" "$f.dSYM"
    done
  done
  echo; echo "################ kdk-t8112/kernel.release.t8112"
  $FIX show "$OUT/kdk-t8112/kernel.release.t8112"
  "$LLVM/llvm-dwarfdump" --uuid "$OUT/kdk-t8112/kernel.release.t8112" "$OUT/kdk-t8112/kernel.release.t8112.dSYM"
  echo; echo "################ fileset/kernelcache.fixture"
  "$LLVM/llvm-nm" -n --defined-only "$OUT/fileset/kernelcache.fixture" | grep '^Symbols for'
  echo; echo "################ universal"; "$LLVM/llvm-lipo" -info "$U/fxexec" "$U/fxdriver.kext" \
       "$U/fxexec.dSYM/Contents/Resources/DWARF/fxexec"
  "$LLVM/llvm-dwarfdump" --uuid "$U/fxexec.dSYM"
  echo; echo "################ arm64e kernel: symbolize first 3 call sites"
  head -3 "$OUT/truth/arm64e-kernel.fixture.callsites" | "$LLVM/llvm-symbolizer" \
     --obj="$OUT/arm64e/kernel.fixture.dSYM/Contents/Resources/DWARF/kernel.fixture" -a --inlining -C
  echo; echo "################ arm64e kernel: dwarfdump --lookup of the first call site"
  "$LLVM/llvm-dwarfdump" --lookup="$(head -1 "$OUT/truth/arm64e-kernel.fixture.callsites")" \
     "$OUT/arm64e/kernel.fixture.dSYM/Contents/Resources/DWARF/kernel.fixture" | grep -E 'DW_TAG|DW_AT_name|origin|Line info'
  echo; echo "################ dwarf versions"
  for f in "$OUT/arm64e/kernel.fixture" "$OUT/dwarf5/kernel.fixture"; do
    echo "$f: $("$LLVM/llvm-dwarfdump" --debug-info "$f.dSYM" | grep -m1 -o 'version = 0x000[0-9]')"
  done
} > "$OUT/report.txt" 2>&1
# scratch (objects, stub SDK, lipo shim) is not part of the fixtures
rm -rf "$OUT/obj" "$OUT/sdk" "$OUT/.toolbin"
echo "fixtures in $OUT ; see $OUT/report.txt"
