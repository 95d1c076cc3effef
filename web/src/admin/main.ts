// The operator console (/admin), served by the Worker only to a signed-in browser.
import { mount } from 'svelte';
import '../styles/base.css';
import './console.css';
import App from './App.svelte';

mount(App, { target: document.getElementById('admin')! });
