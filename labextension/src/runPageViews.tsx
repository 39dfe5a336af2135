// Lab tabs the run page opens: the notebook a run recorded (read-only) and a dataset version.
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { getDatasetVersion } from './client';
import { ErrorLine, useApi } from './common';
import { ago, bytes } from './format';
import { RecordedNotebook } from './runPagePreview';

/** The notebook a run recorded, read-only: nothing in it can be edited or run. */
export class RecordedNotebookWidget extends ReactWidget {
  constructor(readonly runId: string) {
    super();
    this.addClass('jp-mlops-detail');
  }

  protected render(): React.JSX.Element {
    return <RecordedNotebook runId={this.runId} />;
  }
}

/** One version of a dataset: its schema, size, tags and the run that made it. */
export class DatasetVersionWidget extends ReactWidget {
  constructor(
    readonly name: string,
    readonly version: number,
    private readonly openRun: (runId: string) => void
  ) {
    super();
    this.addClass('jp-mlops-detail');
  }

  protected render(): React.JSX.Element {
    return <DatasetVersionView name={this.name} version={this.version} openRun={this.openRun} />;
  }
}

function DatasetVersionView(props: {
  name: string;
  version: number;
  openRun: (runId: string) => void;
}): React.JSX.Element {
  const { name, version } = props;
  const info = useApi(signal => getDatasetVersion(name, version, { signal }), [name, version]);
  const d = info.data;
  const maker = d?.run_id ?? null;
  return (
    <div className="jp-mlops-page" data-dataset={`${name}@${version}`}>
      <ErrorLine error={info.error} />
      {d === null ? null : (
        <>
          <header className="jp-mlops-page-header">
            <h2>
              {d.name} v{d.version}
            </h2>
            <div className="jp-mlops-muted">
              {d.ref} · {d.format} · {bytes(d.size)}
              {d.row_count !== null ? ` · ${d.row_count.toLocaleString()} rows` : ''} · added{' '}
              {ago(d.created_at)}
              {d.created_by ? ` by ${d.created_by}` : ''}
            </div>
            {d.description ? <p>{d.description}</p> : null}
          </header>
          <table className="jp-mlops-table jp-mlops-params">
            <tbody>
              <tr>
                <th>Digest</th>
                <td>
                  <code>{d.digest}</code>
                </td>
              </tr>
              {d.source_path ? (
                <tr>
                  <th>Source</th>
                  <td>
                    <code>{d.source_path}</code>
                  </td>
                </tr>
              ) : null}
              {maker ? (
                <tr>
                  <th>Made by</th>
                  <td>
                    <button className="jp-mlops-link" onClick={() => props.openRun(maker)}>
                      run {maker.slice(0, 8)}
                    </button>
                  </td>
                </tr>
              ) : null}
              {Object.entries(d.tags).map(([k, v]) => (
                <tr key={k}>
                  <th>{k}</th>
                  <td>{v}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {d.columns?.length ? (
            <>
              <h3>Columns</h3>
              <table className="jp-mlops-table jp-mlops-params">
                <tbody>
                  {d.columns.map(c => (
                    <tr key={c.name}>
                      <th>{c.name}</th>
                      <td>{c.dtype}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          ) : null}
        </>
      )}
    </div>
  );
}
