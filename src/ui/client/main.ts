/// <reference lib="dom" />
/** The page's entry: renders the App into #app (replacing the server's "Loading" shell). */
import { h, render } from 'preact';
import { App } from './app.js';

const root = document.getElementById('app');
if (root !== null) {
  root.replaceChildren();
  render(h(App, {}), root);
}
