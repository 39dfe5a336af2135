import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-mlops-labextension:plugin',
  description: 'jupyter_mlops sidebar.',
  autoStart: true,
  activate: (app: JupyterFrontEnd) => {
    console.log('jupyter-mlops-labextension activated', app.name);
  }
};

export default plugin;
