#!/bin/sh
# isa_support.sh ISA: can this machine run densenet's kernel set ISA
# (reference, generic, avx2, avx512)? Prints nothing and exits 0 when it can;
# prints why not and exits 1 when it cannot; exits 2 for an unknown ISA.
# Shared by tests/isa.test, tests/torchvision_ref.py and .ci/run, so they skip
# exactly the same ISAs. /proc/cpuinfo's flags decide first; then, when
# $DENSENET is an executable, its --isa check (usage error "cannot run --isa",
# given before any model is read) catches a build without those kernels.
isa=${1:-}
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null)
has() {
    for f in "$@"; do
        case " ${flags#*:} " in *" $f "*) ;; *) return 1 ;; esac
    done
}
case $isa in
    reference|generic) ;;
    avx2) has avx2 fma || { echo "CPU lacks avx2/fma"; exit 1; } ;;
    avx512) has avx2 fma avx512f || { echo "CPU lacks avx512f"; exit 1; } ;;
    *) echo "unknown ISA '$isa' (reference, generic, avx2, avx512)"; exit 2 ;;
esac
dn=${DENSENET:-}
if [ -n "$dn" ] && command -v "$dn" >/dev/null 2>&1; then
    if "$dn" inspect --isa "$isa" /dev/null 2>&1 | grep -q 'cannot run --isa'; then
        echo "this build of densenet has no $isa kernels"
        exit 1
    fi
fi
exit 0
