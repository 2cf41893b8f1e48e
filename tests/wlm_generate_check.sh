#!/bin/sh
# wlm_generate_check.sh PROGRAM DATA_DIR CKPT_DIR EXPECTED_DIR CASE — examples/word_language_model_generate
# for one case of EXPECTED_DIR/cases.txt against PyTorch's generate.py on the same checkpoint
# (tools/gen_expected_wlm_generate.sh): the printed lines and every generated word must be equal (same
# seed: the same first word from randint and the same multinomial draws).
prog=$1 data=$2 ckdir=$3 dir=$4 name=$5
ckpt=$(awk -v n="$name" '$1 == n { print $2 }' "$dir/cases.txt")
args=$(awk -v n="$name" '$1 == n { $1 = ""; $2 = ""; print }' "$dir/cases.txt")
extra=""
[ "$ckpt" = rnn_relu ] && extra="--model RNN_RELU" # torch pickles the nonlinearity; safetensors has none
out=$(mktemp) && gen=$(mktemp)
trap 'rm -f "$out" "$gen"' EXIT
# shellcheck disable=SC2086
"$prog" --data "$data" --checkpoint "$ckdir/wlm_$ckpt.safetensors" --outf "$gen" $args $extra > "$out" ||
  { echo "FAIL: the program failed"; exit 1; }
fails=0
diff "$dir/$name.txt" "$out" > /dev/null || { echo "FAIL: printed lines differ (< torch, > nabla)"; diff "$dir/$name.txt" "$out" | head; fails=1; }
cmp -s "$dir/$name.generated.txt" "$gen" || {
  echo "FAIL: generated text differs; first differing word:"
  tr ' \n' '\n\n' < "$dir/$name.generated.txt" > "$out"
  tr ' \n' '\n\n' < "$gen" | diff "$out" - | head -4
  fails=1
}
[ $fails = 0 ] && echo "$name: $(wc -w < "$gen") words and $(wc -l < "$dir/$name.txt") lines equal to PyTorch's"
exit $fails
