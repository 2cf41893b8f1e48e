#!/bin/sh
# playground_check.sh PG_CLI — the playground's C side natively (under ASan in CI): each course page's
# default settings print the seed's lines, the expression page gives micrograd's gradients and
# create_graph's second derivative, bad expressions are clear errors, the network trains.
cli=$1
pass=0; fail=0
has() { # description, output, fixed string
  if printf '%s' "$2" | grep -Fq -- "$3"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $1: no '$3' in: $(printf '%s' "$2" | cut -c1-300)"; fi
}
out=$("$cli" course gd1d "" -- course gd1d "eta=0.05" -- course gd1d "eta=1.1" -- course gd1d "f=xcos;eta=2" \
      -- course gd2d "" -- course newton "f=cosh" -- course newton "" -- course newton "eta=0.5" \
      -- course precond "" -- course precond "rotated=1" -- course linesearch "")
for l in 'epoch 10, x: 0.060466' 'epoch 10, x: 3.486784' 'epoch 10, x: 61.917364' 'epoch 10, x: -1.528166' \
         'epoch 20, x1: -0.057646, x2: -0.000073' 'epoch 10, x: tensor(0.)' 'epoch 10, x: tensor(26.8341)' \
         'epoch 10, x: tensor(7.2699)' 'eta diag(H)^-1 grad f, eta = 1: 1 iterations' 'eta diag(H)^-1 grad f, eta = 1: 541 iterations' \
         'minimum at x = -0.768951 (exact (ln 2 - 3)/3 = -0.768951) after 32 halvings'; do
  has course "$out" "\"line\":\"$l"
done
neuron='x1 = 2; x2 = 0; w1 = -3; w2 = 1; b = 6.8813735870195432
tanh(x1 * w1 + x2 * w2 + b)'
out=$("$cli" expr "$neuron" 0)
has neuron "$out" '"trace":["backward #4 TanhBackward0: grad_output 1\n    -> input 0 (#3) += 0.5"'
has neuron "$out" '"name":"x1"'
for g in '"name":"x1","ptr"' '"value":[2],"grad":[-1.5]' '"value":[-3],"grad":[1]' '"value":[0],"grad":[0.5]' '"value":[1],"grad":[0]'; do
  has neuron "$out" "$g"
done
out=$("$cli" expr 'x = 1.5
x ^ 3 - 2 * x' 1)
has second "$out" '"second":{'
has second "$out" '"value":[1.5],"grad":[9]'     # d2/dx2 (x^3 - 2x) = 6x = 9
for e in 'x = 2; x +|unexpected end of input' "y * 2|unknown name 'y'" 'x = [1, 2]; x * 3|wrap it in sum' \
         "x = 1; foo(x)|unknown function 'foo'" '2 * 3|does not depend on any variable' '|no expression'; do
  out=$("$cli" expr "${e%%|*}" 0)
  has "bad ${e%%|*}" "$out" "\"ok\":false,\"error\":"
  has "bad ${e%%|*}" "$out" "${e#*|}"
done
# nesting is bounded (a fuzzer found 5000 '(' overflowing the stack): 64 levels parse, 65 and 5000 are refused
deep() { printf 'x = 1; '; printf "%$1s" '' | tr ' ' "$2"; printf 'x'; printf "%$1s" '' | tr ' ' "$3"; }
out=$("$cli" expr "$(deep 63 '(' ')')" 0)
has nest63 "$out" '"ok":true'
for n in 64 5000; do
  out=$("$cli" expr "$(deep $n '(' ')')" 0)
  has "nest$n" "$out" 'nested too deeply'
done
out=$("$cli" expr "$(deep 5000 '-' ' ')" 0)
has minus5000 "$out" 'nested too deeply'
# a variable bigger than any literal: W = a @ b is 20 x 20 (400 values, past the 256 of a literal)
col="[$(printf '[1],%.0s' $(seq 19))[1]]"; row="[[$(printf '1,%.0s' $(seq 19))1]]"
out=$("$cli" expr "a = $col; b = $row; W = a @ b
sum(W * W)" 0)
has big_var "$out" '"name":"W"'
has big_var "$out" '"result":400'
out=$("$cli" net reset "" -- net step "n=200")
loss=$(printf '%s' "$out" | tail -1 | sed 's/.*"loss":\[\([^],]*\).*,\([^],]*\)\],"grad_norms".*/\1 \2/')
if awk -v a="${loss% *}" -v b="${loss#* }" 'BEGIN { exit !(b < a / 4) }'; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL net: loss $loss did not fall 4x"; fi
out=$("$cli" optim "")
for m in sgd momentum nesterov adagrad rmsprop adam lbfgs newton; do has optim "$out" "\"method\":\"$m\""; done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
