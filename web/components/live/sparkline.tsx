import { cn } from "@/lib/utils";

/** A small line chart in plain SVG (no chart library: nothing added to any page's first load). */
export function Sparkline({ values, max, label, className, testId }: {
  values: number[]; max?: number; label: string; className?: string; testId?: string;
}) {
  const width = 240;
  const height = 48;
  const top = Math.max(max ?? 0, ...values, 1e-9);
  const points = values.map((v, i) => {
    const x = values.length > 1 ? (i / (values.length - 1)) * width : width;
    const y = height - (Math.max(0, v) / top) * (height - 2) - 1;
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  });
  return (
    <svg viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" role="img" aria-label={label}
      className={cn("h-12 w-full text-primary", className)} data-testid={testId} data-points={values.length}>
      <line x1="0" y1={height - 0.5} x2={width} y2={height - 0.5} className="stroke-border" strokeWidth="1" />
      {points.length > 1 ? (
        <>
          <polygon points={`0,${height} ${points.join(" ")} ${width},${height}`} className="fill-primary/10" />
          <polyline points={points.join(" ")} fill="none" stroke="currentColor" strokeWidth="1.5" vectorEffect="non-scaling-stroke" />
        </>
      ) : null}
    </svg>
  );
}
