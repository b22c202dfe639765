/** Public input types of the chart renderers, shared by the data shaping, plugins and chart kinds. */

export interface PriceLine {
  label: string;
  value: number;
  color?: string;
}
/** A series drawn over the candles (EMA, Bollinger band...), one value per candle. */
export interface Overlay {
  label: string;
  values: (number | null)[];
  color?: string;
}
export interface Marker {
  ts: number;
  price: number;
  label: string;
  kind: 'entry' | 'exit' | 'buy' | 'sell';
}
export interface Bar {
  label: string;
  value: number;
}
