import './base.css';
import './runsTable.css';
import './runPage.css';
