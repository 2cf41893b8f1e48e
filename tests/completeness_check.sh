#!/bin/sh
# completeness_check.sh SRC — what ops have (a generated gradcheck list, a golden case per public op)
# for the other things one adds: every optimizer constructor (nb_optimizer *nb_X( in include/*.h)
# must have golden values (X in a file of tests/golden/, e.g. a case "X_lr" of optim_traj.txt; a
# method beyond torch.optim counts with an exact-math test calling nb_X( in tests/), a state round
# trip (tests/test_optim_resume.c) and a line in docs/optim.md; every module (nb_module *nb_X_new()
# and every loss (nb_tensor *nb_X_loss( or nb_[binary_]cross_entropy...) must have golden values
# (X in a file of tests/golden/). The README table is checked by api_table_check.sh.
src=${1:-.}
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
# golden NAME: NAME as a word (a case "NAME" or "NAME_variant") in some golden file, or NAME or its
# torch class name (module_list -> ModuleList) in a golden generator tools/gen_golden_*.py
golden() {
    grep -Eqs "(^|[^a-z0-9_])$1([^a-z0-9]|\$)" "$src"/tests/golden/* "$src"/tools/gen_golden_*.py ||
        grep -qs "nn\.$(echo "$1" | sed -E 's/(^|_)([a-z])/\U\2/g')\b" "$src"/tools/gen_golden_*.py
}

optims=$(sed -n 's/^nb_optimizer \*nb_\([a-z0-9_]*\)(.*/\1/p' "$src"/include/*.h)
for o in $optims; do
    if golden "$o"; then ok
    elif sed -n '/beyond torch/,/^\/\* ---- common/p' "$src"/include/nb_optim.h | grep -q "nb_$o(" &&
         grep -ls "nb_$o(" "$src"/tests/*.c | grep -qv test_optim_resume.c; then ok
    else bad "optimizer nb_$o has no golden values: add its cases to tools/gen_golden_optim.py (run it) and" \
             "compare them in tests/test_optim.c (a method not in torch: an exact-math test in tests/)"
    fi
    if grep -q "\"nb_$o\"" "$src/tests/test_optim_resume.c"; then ok
    else bad "optimizer nb_$o has no state round trip: add {\"nb_$o\", mk_$o, ...} to methods[] in" \
             "tests/test_optim_resume.c (or to not_resumable[] with the reason)"
    fi
    if grep -q "nb_$o\b" "$src/docs/optim.md"; then ok
    else bad "optimizer nb_$o is not in docs/optim.md: add its update rule and options there"
    fi
done
mods=$(sed -n 's/^nb_module \*nb_\([a-z0-9_]*\)_new(.*/\1/p' "$src"/include/*.h | grep -v '^module$')   # not nb_module_new
# modules with no numbers to compare (a container without forward or parameters), each with its test
no_golden="module_dict"   # tests/test_modules.c: insertion order, torch's KeyError cases, printing
for m in $mods; do
    if golden "$m" || echo " $no_golden " | grep -q " $m "; then ok
    else bad "module nb_${m}_new has no golden values: add a case named $m to tools/gen_golden_nn.py (or" \
             "your family's tools/gen_golden_<family>.py) and run it"
    fi
done
losses=$(sed -n 's/^nb_tensor \*nb_\([a-z0-9_]*\(_loss\|cross_entropy[a-z_]*\)\)(.*/\1/p' "$src"/include/*.h)
for l in $losses; do
    if golden "$l"; then ok
    else bad "loss nb_$l has no golden values: add a case named $l to tools/gen_golden_nn.py and run it"
    fi
done
echo "$(echo $optims | wc -w) optimizers, $(echo $mods | wc -w) modules, $(echo $losses | wc -w) losses"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
