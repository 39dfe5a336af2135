import 'uplot/dist/uPlot.min.css';
import './base.css';
import './runsTable.css';
import './compare.css';
import './runPage.css';
