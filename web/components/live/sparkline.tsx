import { cn } from "@/lib/utils";

/**
 * A small line chart in plain SVG (no chart library: nothing added to any page's first load).
 *
 * `slots` fixes the time axis: the newest value sits at the right edge and each older one a slot to
 * the left, so a chart that has run for ten seconds fills only the right sixth of a minute's width
 * instead of stretching ten samples over it. The vertical scale is 0..max(values, `min`), where `min`
 * keeps noise on an idle container from filling the chart.
 */
export function Sparkline({ values, slots = 60, min = 0, label, className, testId }: {
  values: number[]; slots?: number; min?: number; label: string; className?: string; testId?: string;
}) {
  const width = 240;
  const height = 48;
  const shown = values.slice(-slots);
  const top = Math.max(min, ...shown, 1e-9);
  const step = width / Math.max(1, slots - 1);
  const points = shown.map((v, i) => {
    const x = width - (shown.length - 1 - i) * step;
    const y = height - (Math.max(0, v) / top) * (height - 2) - 1;
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  });
  const firstX = width - (shown.length - 1) * step;
  return (
    <svg viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" role="img" aria-label={label}
      className={cn("h-12 w-full text-primary", className)} data-testid={testId} data-points={shown.length}>
      <line x1="0" y1={height - 0.5} x2={width} y2={height - 0.5} className="stroke-border" strokeWidth="1" />
      {points.length > 1 ? (
        <>
          <polygon points={`${firstX.toFixed(1)},${height} ${points.join(" ")} ${width},${height}`} className="fill-primary/10" />
          <polyline points={points.join(" ")} fill="none" stroke="currentColor" strokeWidth="1.5" vectorEffect="non-scaling-stroke" />
        </>
      ) : null}
    </svg>
  );
}
