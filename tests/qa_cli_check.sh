#!/bin/sh
# qa_cli_check.sh OPTIM_2D GD_1D GD_2D RIDGE LOGISTIC LINEAR FASHION_MNIST — bad command lines of the
# examples give a usage or error message on stderr and exit 2 (never a crash, never a silent
# default); --help exits 0.
o2=$1 g1=$2 g2=$3 ri=$4 lo=$5 li=$6 fm=$7
pass=0; fail=0; err=$(mktemp)
expect() {   # expect RC PROGRAM ARGS...
    want=$1; shift
    "$@" > /dev/null 2> "$err"; rc=$?
    if [ $rc -eq "$want" ] && { [ "$want" -eq 0 ] || [ -s "$err" ]; }; then pass=$((pass + 1))
    else fail=$((fail + 1)); echo "FAIL: $* -> exit $rc (want $want)"; cat "$err"; fi
}
expect 0 "$o2" --help
expect 2 "$o2"
expect 2 "$o2" --opt sgd --lr abc
expect 2 "$o2" --opt sgd --lr 0.1 --steps 1x
expect 2 "$o2" --opt sgd --lr 0.1 --steps -3
expect 2 "$o2" --opt sgd --lr 0.1 --steps 99999999999
expect 2 "$o2" --opt nosuch --lr 0.1
expect 2 "$o2" --opt adam --betas 0.9,0.99x
expect 2 "$o2" --opt sgd --lr
expect 1 "$o2" --opt sgd --lr -1
for p in "$g1" "$g2"; do
    expect 2 "$p" --eta abc
    expect 2 "$p" --bogus
done
expect 2 "$g1" --epochs -1
expect 2 "$g1" --epochs 5
expect 2 "$g2" --steps 0
expect 1 "$g1" --svg /nonexistent/dir/fig
expect 1 "$g2" --svg /nonexistent/dir/fig.svg
expect 1 "$o2" --opt sgd --lr 0.1 --csv /nonexistent/dir/t.csv
for p in "$ri" "$lo" "$li"; do
    expect 0 "$p" --help
    expect 2 "$p" --bogus
    expect 2 "$p" --steps
done
expect 2 "$ri" --steps 1x
expect 2 "$lo" --lr abc
expect 2 "$li" --epochs -1
expect 0 "$fm" --help
expect 2 "$fm" --batch 0
expect 2 "$fm" --epochs x
expect 2 "$fm" --epochs ""
expect 2 "$fm" --epochs 99999999999
expect 2 "$fm" --threads -2
expect 1 "$fm" --data /nonexistent
rm -f "$err"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
