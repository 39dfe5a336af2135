// Status badges: each status union of the wire maps to a colour (a tone) in one switch, so a
// status the server adds is a type error here until it is given one.
import * as React from 'react';

import type {
  EventOutcome,
  PipelineRunStatus,
  RunStatus,
  ScheduleRunStatus,
  StepStatus
} from './wire';

/** The colour of a badge: moving, went well, went wrong, held back, or nothing to say. */
export type Tone = 'active' | 'good' | 'bad' | 'warn' | 'neutral';

/** Whether a run, a step, a pipeline run or a schedule's tick is still moving. */
export function moving(
  status: RunStatus | StepStatus | PipelineRunStatus | ScheduleRunStatus
): boolean {
  return status === 'running' || status === 'queued';
}

export function runTone(status: RunStatus): Tone {
  switch (status) {
    case 'running':
      return 'active';
    case 'finished':
      return 'good';
    case 'failed':
    case 'killed':
      return 'bad';
  }
}

export function stepTone(status: StepStatus): Tone {
  switch (status) {
    case 'queued':
      return 'neutral';
    case 'running':
      return 'active';
    case 'ok':
    case 'cached':
      return 'good';
    case 'failed':
      return 'bad';
    case 'skipped':
    case 'cancelled':
      return 'warn';
  }
}

export function pipelineTone(status: PipelineRunStatus): Tone {
  switch (status) {
    case 'running':
      return 'active';
    case 'ok':
      return 'good';
    case 'failed':
      return 'bad';
    case 'cancelled':
      return 'warn';
  }
}

export function scheduleRunTone(status: ScheduleRunStatus): Tone {
  switch (status) {
    case 'running':
      return 'active';
    case 'finished':
      return 'good';
    case 'failed':
    case 'killed':
      return 'bad';
    case 'skipped':
      return 'warn';
  }
}

export function outcomeTone(outcome: EventOutcome): Tone {
  switch (outcome) {
    case 'promoted':
      return 'good';
    case 'refused':
      return 'bad';
    case 'conflict':
      return 'neutral';
  }
}

/**
 * A coloured badge. ``kind`` (default: the text) names it for styles and tests
 * (``jp-mlops-badge-finished``, ``jp-mlops-badge-stage-staging``).
 */
export function Badge(props: {
  text: string;
  tone: Tone;
  kind?: string;
  title?: string;
}): React.JSX.Element {
  const kind = (props.kind ?? props.text).toLowerCase().replace(/[^a-z0-9_-]/g, '');
  return (
    <span
      className={`jp-mlops-badge jp-mlops-badge-${kind} jp-mlops-tone-${props.tone}`}
      title={props.title}
    >
      {props.text}
    </span>
  );
}
