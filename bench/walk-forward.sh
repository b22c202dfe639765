#!/usr/bin/env bash
# Prints, per series of ../shared/data/market, the walk-forward training verdict on the first 70%
# (part a) and on the held-out last 30% (part b): trades, return, Sharpe [95%], buy-and-hold,
# random-entry median and percentile, drawdown, refit periods traded. EXTRA=... adds train flags;
# PARTS=a|b, SERIES="BTC-USD_1h ..." narrow it. Env overrides (TRADECREW_TRAINING__*) apply.
# Walk-forward training per series: the first 70% (design part) and the last 30% (held out; fits may use earlier candles).
set -e
d=$(mktemp -d)
extra=${EXTRA:-}
for f in ${SERIES:-BTC-USD_1h ETH-USD_1h LTC-USD_1h SPY_1d MSFT_1d AAPL_1d}; do
  src=../shared/data/market/$f.csv
  n=$(($(wc -l < $src) - 1)); cut=$((n * 70 / 100))
  head -1 $src > $d/a-$f.csv; tail -n +2 $src | head -n $cut >> $d/a-$f.csv
  tf=$(echo $f | cut -d_ -f2)
  sym=$(echo $f | cut -d_ -f1 | sed 's/-/\//'); [[ $sym == */* ]] || sym=$sym/USD
  if [ $tf = 1h ]; then per=24; fitd=90; else per=1; fitd=$((500*365/252)); fi
  first=$(( (cut - 250) / per - fitd - 2 )); held=$(( (n - cut) / per ))
  [ $tf = 1d ] && held=$(( (n - cut) * 365 / 252 ))
  for part in ${PARTS:-a b}; do
    if [ $part = a ]; then csv=$d/a-$f.csv; days=$first; else csv=$src; days=$held; fi
    rm -rf $d/data; mkdir -p $d/data
    TRADECREW_DATA_DIR=$d/data node --import tsx src/cli/main.ts train --data "$sym=$csv" --days $days --cycle-size 24 $extra --json > $d/out.json; cp $d/out.json ${OUT:-$d}/wf-$f-$part.json
    node -e "const j=require('$d/out.json');const v=Object.values(j.verdicts)[0];const p=j.final.portfolio;const fits=Object.values(j.fits)[0]||[];
const f=x=>x.toFixed(2);const c=v.calibration;
console.log('$f', '$part', 'days', $days, 'trades', v.trades, 'ret', (v.totalReturn*100).toFixed(1)+'%', 'sharpe', f(v.sharpe), v.ci?'['+f(v.ci[0])+','+f(v.ci[1])+']':'n/a', 'bh', f(v.buyHoldSharpe), 'rnd', f(v.randomMedian), 'pct', (v.percentile*100).toFixed(0)+'%', 'dd', (p.maxDrawdown*100).toFixed(1)+'%', 'traded', v.periodsTraded+'/'+v.periodsTotal, v.code, c?('brier '+f(c.brier)+' skill '+f(c.skill)):'nocal');
const r={};for(const x of fits){const k=x.choice||x.reason;r[k]=(r[k]||0)+1}console.log('   fits', JSON.stringify(r))"
  done
done
