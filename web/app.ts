// The dashboard's entry: sign-in, navigation and the hash routes (#/zones, #/timeline,
// #/emissions, #/plan, #/jobs/<id>). Each view is a function that renders into <main>.
import './app.css'
import { api, session } from './api.js'
import { errorBox, h } from './dom.js'
import { emissionsView } from './emissions.js'
import { jobView } from './job.js'
import { planView } from './plan.js'
import { timelineView } from './timeline.js'
import { zonesView } from './zones.js'

type View = (main: HTMLElement, arg: string) => Promise<void>

const VIEWS: Array<{ path: string, title: string, view: View }> = [
  { path: 'zones', title: 'Zones', view: zonesView },
  { path: 'timeline', title: 'Timeline', view: timelineView },
  { path: 'emissions', title: 'Emissions', view: emissionsView },
  { path: 'plan', title: 'Plan a job', view: planView }
]

const main = document.getElementById('main') as HTMLElement
const nav = document.getElementById('nav') as HTMLElement
/** Each route() call's number: an error from a view the user already left is not shown. */
let generation = 0

function signInForm (): HTMLElement {
  const status = h('p', { class: 'hint' }, 'An API key with the read scope (and submit, to plan jobs). It is kept in this tab only.')
  const input = h('input', { name: 'apiKey', type: 'password', autocomplete: 'off', required: true, placeholder: 'gs_…', 'aria-label': 'API key' })
  const form = h('form', { class: 'signin' }, h('h1', {}, 'Sign in'), h('label', {}, 'API key ', input), h('button', { type: 'submit' }, 'Sign in'), status)
  form.addEventListener('submit', e => {
    e.preventDefault()
    const key = input.value.trim()
    // GET /v1/pools needs only the read scope: a key that reads it can use the dashboard.
    api('/v1/pools', { key }).then(() => {
      session.signIn(key)
      void route()
    }, (err: unknown) => {
      form.querySelector('.error')?.remove()
      form.append(errorBox(err))
    })
  })
  queueMicrotask(() => input.focus())
  return form
}

function drawNav (current: string): void {
  nav.replaceChildren(...VIEWS.map(v => h('a', { href: `#/${v.path}`, class: v.path === current ? 'current' : undefined }, v.title)),
    h('button', { type: 'button', class: 'signout', onclick: () => { session.signOut(); void route() } }, 'Sign out'))
}

async function route (): Promise<void> {
  const mine = ++generation
  const [path = 'zones', arg = ''] = location.hash.replace(/^#\/?/, '').split('/')
  if (session.key() === null) {
    nav.replaceChildren()
    main.replaceChildren(signInForm())
    return
  }
  const target = path === 'jobs' ? { path: 'jobs', view: jobView } : VIEWS.find(v => v.path === path) ?? VIEWS[0]!
  drawNav(target.path)
  const page = h('section', { class: `view view-${target.path}`, 'aria-busy': 'true' }, h('p', { class: 'hint' }, 'Loading…'))
  main.replaceChildren(page)
  try {
    // Views draw into the page while it is in the document (uPlot measures its container); one
    // that finishes after the user moved on draws into a page no longer shown.
    await target.view(page, decodeURIComponent(arg))
  } catch (err) {
    if (mine !== generation) return
    // A key revoked while signed in: back to the form, with the server's reason.
    if ((err as { status?: number }).status === 401) session.signOut()
    page.replaceChildren(errorBox(err))
    if (session.key() === null) main.append(signInForm())
  }
  page.setAttribute('aria-busy', 'false')
}

window.addEventListener('hashchange', () => { void route() })
void route()
