// "Schedule" on a notebook's toolbar: a dialog with the schedule form for that notebook, its
// parameters started from the notebook's parameters cell.
import { Dialog, ReactWidget } from '@jupyterlab/apputils';
import type { NotebookPanel } from '@jupyterlab/notebook';
import * as React from 'react';

import { type IScheduleTarget, ScheduleForm } from './scheduleForm';
import type { ScheduleInfo } from './wire';

/** ``name = value`` lines of the cell tagged ``parameters``, as ``name=value`` lines. */
function parameterLines(panel: NotebookPanel): string {
  const cells = panel.content.model?.cells;
  if (!cells) {
    return '';
  }
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    const tags = (cell.getMetadata('tags') ?? []) as string[];
    if (cell.type !== 'code' || !tags.includes('parameters')) {
      continue;
    }
    return cell.sharedModel
      .getSource()
      .split('\n')
      .map(line => /^([A-Za-z_]\w*)\s*(?::[^=]*)?=\s*(.+?)\s*(#.*)?$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map(m => `${m[1]}=${m[2].replace(/^(['"])(.*)\1$/, '$2')}`)
      .join('\n');
  }
  return '';
}

/** Open the create-schedule dialog for ``panel``'s notebook; ``created`` gets the schedule. */
export function openScheduleDialog(
  panel: NotebookPanel,
  created: (schedule: ScheduleInfo) => void
): void {
  const target: IScheduleTarget = {
    kind: 'notebook',
    path: panel.context.path,
    params: parameterLines(panel)
  };
  let dialog: Dialog<unknown> | null = null;
  const body = ReactWidget.create(
    <ScheduleForm
      target={target}
      done={schedule => {
        created(schedule);
        dialog?.resolve(0);
      }}
      cancel={() => dialog?.resolve(0)}
    />
  );
  body.addClass('jp-mlops-schedule-dialog');
  // The form has its own Create and Cancel; the dialog's one button (hidden) closes it.
  dialog = new Dialog({
    title: `Schedule ${target.path}`,
    body,
    buttons: [Dialog.cancelButton({ label: 'Close' })],
    hasClose: true
  });
  dialog.addClass('jp-mlops-schedule-dialog-host');
  void dialog.launch();
}
