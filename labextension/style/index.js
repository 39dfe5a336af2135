import './base.css';
import './runsTable.css';
