import cron, { type ScheduledTask } from 'node-cron';
import type { App } from '../app/context.js';
import { pushDailySummary } from '../reports/daily.js';

/**
 * The other clocks of the bot: the daily summary at reports.daily_time (in `timezone`), and the
 * optional retraining schedule (training.schedule), which trains on the most recent
 * training.days_back days when no run is going and reports to every push chat.
 */
export function startReportJobs(app: App): { stop(): void } {
  const tasks: ScheduledTask[] = [];
  const daily = app.cfg.reports.daily_time;
  if (daily) {
    const [hh, mm] = daily.split(':').map(Number);
    tasks.push(
      cron.schedule(
        `${mm} ${hh} * * *`,
        () =>
          void pushDailySummary(app).catch((e) => app.log.error({ err: app.scrub(String(e)) }, 'daily summary failed')),
        { timezone: app.cfg.timezone },
      ),
    );
  }
  if (app.cfg.training.schedule) {
    tasks.push(
      cron.schedule(
        app.cfg.training.schedule,
        () => {
          if (app.trainer.current()) return;
          try {
            app.trainer.start(
              { days: app.cfg.training.days_back, symbols: app.cfg.symbols, cycleHours: app.cfg.training.cycle_size_hours },
              { send: (m) => (app.push('training', m), null), edit: () => undefined },
            );
          } catch (e) {
            app.log.error({ err: app.scrub(String(e)) }, 'scheduled training could not start');
          }
        },
        { timezone: app.cfg.timezone },
      ),
    );
  }
  return {
    stop() {
      for (const t of tasks) void t.stop();
    },
  };
}
