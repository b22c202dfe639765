/** Chart.js plugins that draw what Chart.js has no option for: price lines, marker labels, value labels. */
import type { Chart, Plugin } from 'chart.js';
import { formatPrice, truncate } from './data.js';
import { LINE_LABEL_FONT, MARKER_STYLE, TAG_FONT, THEME } from './theme.js';
import type { Marker, PriceLine } from './types.js';

function roundRect(ctx: CanvasRenderingContext2D, x: number, y: number, w: number, h: number, r: number) {
  ctx.beginPath();
  ctx.moveTo(x + r, y);
  ctx.lineTo(x + w - r, y);
  ctx.quadraticCurveTo(x + w, y, x + w, y + r);
  ctx.lineTo(x + w, y + h - r);
  ctx.quadraticCurveTo(x + w, y + h, x + w - r, y + h);
  ctx.lineTo(x + r, y + h);
  ctx.quadraticCurveTo(x, y + h, x, y + h - r);
  ctx.lineTo(x, y + r);
  ctx.quadraticCurveTo(x, y, x + r, y);
  ctx.closePath();
}

/** Dark or light text, whichever reads on `bg` (a #rrggbb colour). */
function textOn(bg: string): string {
  const m = /^#([0-9a-f]{6})$/i.exec(bg);
  if (!m) return '#ffffff';
  const n = parseInt(m[1], 16);
  const lum = 0.299 * ((n >> 16) & 255) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255);
  return lum > 150 ? '#0b0e14' : '#ffffff';
}

/** A plugin that draws text of its own, and says which (tests check its words without pixels). */
export type TextPlugin = Plugin & { texts: string[] };

/** Horizontal dashed price lines, a name at the right end of the plot and a price tag on the axis. */
export function priceLinesPlugin(lines: Required<PriceLine>[], price: (v: number) => string = formatPrice): TextPlugin {
  return {
    id: 'tcPriceLines',
    texts: lines.flatMap((l) => [l.label, price(l.value)]),
    afterDatasetsDraw(chart: Chart) {
      const { ctx, chartArea: area } = chart;
      const y = chart.scales.y;
      const tagH = 22;
      // Tags are nudged apart so close lines (tight stop) keep readable prices.
      const placed = lines
        .map((l) => ({ l, py: y.getPixelForValue(l.value) }))
        .filter((p) => p.py >= area.top - 1 && p.py <= area.bottom + 1)
        .sort((a, b) => a.py - b.py);
      let lastBottom = -Infinity;
      ctx.save();
      for (const p of placed) {
        const py = Math.round(p.py) + 0.5;
        ctx.strokeStyle = p.l.color;
        ctx.lineWidth = 2;
        ctx.setLineDash([8, 5]);
        ctx.beginPath();
        ctx.moveTo(area.left, py);
        ctx.lineTo(area.right, py);
        ctx.stroke();
        ctx.setLineDash([]);
        // Tag and name are nudged apart so close lines (a tight stop) stay readable.
        const tagY = Math.max(p.py - tagH / 2, lastBottom + 2);
        lastBottom = tagY + tagH;
        // Price tag over the y axis, like a trading terminal.
        ctx.fillStyle = p.l.color;
        roundRect(ctx as unknown as CanvasRenderingContext2D, area.right + 2, tagY, chart.width - area.right - 6, tagH, 4);
        ctx.fill();
        ctx.fillStyle = textOn(p.l.color);
        ctx.font = TAG_FONT;
        ctx.textAlign = 'left';
        ctx.textBaseline = 'middle';
        ctx.fillText(price(p.l.value), area.right + 8, tagY + tagH / 2 + 1);
        // Name in a dark box just left of the tag, at the right end of the plot.
        if (p.l.label) {
          ctx.font = LINE_LABEL_FONT;
          const w = ctx.measureText(p.l.label).width + 12;
          ctx.fillStyle = 'rgba(19,23,34,0.9)';
          ctx.strokeStyle = p.l.color;
          ctx.lineWidth = 1;
          roundRect(ctx as unknown as CanvasRenderingContext2D, area.right - w - 4, tagY + 1.5, w, tagH - 3, 4);
          ctx.fill();
          ctx.stroke();
          ctx.fillStyle = p.l.color;
          ctx.textAlign = 'center';
          ctx.fillText(p.l.label, area.right - 4 - w / 2, tagY + tagH / 2 + 1);
        }
      }
      ctx.restore();
    },
  };
}

/** Text next to each trade marker (above sells/exits, below buys/entries). */
export function markerLabelsPlugin(markers: (Marker & { index: number })[]): TextPlugin {
  return {
    id: 'tcMarkerLabels',
    texts: markers.map((m) => m.label),
    afterDatasetsDraw(chart: Chart) {
      const { ctx, chartArea: area } = chart;
      const x = chart.scales.x;
      const y = chart.scales.y;
      ctx.save();
      ctx.font = `bold 13px "${THEME.font}"`;
      ctx.textAlign = 'center';
      for (const m of markers) {
        if (!m.label) continue;
        const st = MARKER_STYLE[m.kind] ?? MARKER_STYLE.entry;
        const px = x.getPixelForValue(m.index);
        const py = y.getPixelForValue(m.price);
        const text = truncate(m.label, 24);
        const w = ctx.measureText(text).width + 8;
        const cx = Math.min(Math.max(px, area.left + w / 2), area.right - w / 2);
        const ty = st.above ? py - 30 : py + 14;
        ctx.fillStyle = 'rgba(19,23,34,0.8)';
        ctx.fillRect(cx - w / 2, ty, w, 17);
        ctx.fillStyle = st.color;
        ctx.textBaseline = 'top';
        ctx.fillText(text, cx, ty + 2);
      }
      ctx.restore();
    },
  };
}

/** A value over (or beside, when horizontal) each bar of the first dataset. */
export function valueLabelsPlugin(texts: string[], horizontal: boolean): TextPlugin {
  return {
    id: 'tcValueLabels',
    texts,
    afterDatasetsDraw(chart: Chart) {
      const { ctx } = chart;
      const meta = chart.getDatasetMeta(0);
      ctx.save();
      ctx.font = `bold 13px "${THEME.font}"`;
      ctx.fillStyle = THEME.text;
      meta.data.forEach((el, i) => {
        const { x, y, base } = el.getProps(['x', 'y', 'base'], true) as { x: number; y: number; base: number };
        const t = texts[i];
        if (horizontal) {
          const neg = x < base;
          ctx.textBaseline = 'middle';
          ctx.textAlign = neg ? 'right' : 'left';
          ctx.fillText(t, x + (neg ? -6 : 6), y);
        } else {
          const neg = y > base;
          ctx.textAlign = 'center';
          ctx.textBaseline = neg ? 'top' : 'bottom';
          ctx.fillText(t, x, y + (neg ? 4 : -4));
        }
      });
      ctx.restore();
    },
  };
}
