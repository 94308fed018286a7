//! Modules (§4.12): finding `import`ed files relative to the importing file, keeping
//! them inside the project root, compiling each into its own global namespace,
//! running it once, detecting cycles, and building the namespace struct.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::{gstate, Frame, Vm};
use crate::bytecode::Proto;
use crate::compile;
use crate::diag::Source;
use crate::runtime::error::{fail, RuntimeError};
use crate::runtime::object::{Closure, StructObj};
use crate::runtime::value::Value;

/// Struct-name prefix of module namespaces (`__module_namespace_NAME`).
pub(crate) const NAMESPACE_PREFIX: &str = "__module_namespace_";

/// Largest module source accepted (§10).
const MAX_MODULE_BYTES: u64 = 1 << 20;

/// Where each module stands.
enum Slot {
    /// Running its top-level code (seeing it again is a cycle).
    Loading,
    /// Done: its namespace.
    Loaded(Value),
}

/// Module bookkeeping for one run.
#[derive(Default)]
pub(crate) struct Modules {
    /// Canonical directory of the main program: imports may not leave it.
    root: Option<PathBuf>,
    by_path: HashMap<PathBuf, Slot>,
    /// Module names being loaded, outermost first (for cycle reports).
    chain: Vec<String>,
    next_id: u32,
    /// Top-level code of every module loaded (for per-function statistics).
    pub(crate) protos: Vec<Rc<Proto>>,
}

impl Modules {
    /// Sets the project root from the main program's path.
    pub(crate) fn set_main(&mut self, main_path: &str) {
        let dir = Path::new(main_path).parent().map(Path::to_path_buf).unwrap_or_default();
        let dir = if dir.as_os_str().is_empty() { PathBuf::from(".") } else { dir };
        self.root = dir.canonicalize().ok();
        let stem = Path::new(main_path).file_stem().map(|s| s.to_string_lossy().to_string());
        self.chain = stem.into_iter().collect();
        // The main program is "loading" for its whole run: importing it is a cycle.
        if let Ok(main) = Path::new(main_path).canonicalize() {
            self.by_path.insert(main, Slot::Loading);
        }
    }
}

impl Vm {
    /// Imports module `name` on behalf of code in `importer`.
    pub(crate) fn import(&mut self, name: &str, importer: &Proto, plain: bool) -> Result<Value, RuntimeError> {
        let path = self.resolve_module(name, importer)?;
        let ns = match self.modules.by_path.get(&path) {
            Some(Slot::Loaded(ns)) => ns.clone(),
            Some(Slot::Loading) => {
                let mut chain = self.modules.chain.clone();
                chain.push(name.to_string());
                return fail(format!("Import cycle: {}", chain.join(" -> ")));
            }
            None => self.load_module(name, &path)?,
        };
        if plain {
            if let Value::Struct(s) = &ns {
                for (field, value) in s.shape.iter().zip(s.values.iter()) {
                    let g = self.names.intern_in(importer.module, field) as usize;
                    self.sync_globals();
                    self.globals[g] = value.clone();
                    self.gstates[g] = gstate::MUT;
                }
            }
        }
        Ok(ns)
    }

    fn resolve_module(&self, name: &str, importer: &Proto) -> Result<PathBuf, RuntimeError> {
        let dir = Path::new(importer.source.name()).parent().map(Path::to_path_buf).unwrap_or_default();
        let parts: Vec<&str> = name.split('.').collect();
        let mut nested = dir.clone();
        for p in &parts {
            nested.push(p);
        }
        nested.set_extension("ruff");
        let dotted = dir.join(format!("{name}.ruff"));
        let candidates = if parts.len() > 1 { vec![nested, dotted] } else { vec![dotted] };
        for c in &candidates {
            let Ok(canonical) = c.canonicalize() else { continue };
            if let Some(root) = &self.modules.root {
                if !canonical.starts_with(root) {
                    return fail(format!(
                        "Module '{name}' resolves to {}, outside the project root {}; imports may not leave it",
                        canonical.display(),
                        root.display()
                    ));
                }
            }
            if canonical.is_file() {
                return Ok(canonical);
            }
        }
        let looked: Vec<String> = candidates.iter().map(|c| c.display().to_string()).collect();
        fail(format!(
            "Module not found: {name}; looked for {} (modules are searched relative to the importing file)",
            looked.join(" and ")
        ))
    }

    fn load_module(&mut self, name: &str, path: &Path) -> Result<Value, RuntimeError> {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        if size > MAX_MODULE_BYTES {
            return fail(format!("Cannot import '{name}': file is {size} bytes; the limit is {MAX_MODULE_BYTES}"));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| RuntimeError::new(format!("Cannot import '{name}': cannot read {}: {e}", path.display())))?;
        let display_path = path.display().to_string();
        let source = Rc::new(Source::new(display_path, text));
        let ast = crate::syntax::parse(source.text()).map_err(|d| compile_error(name, &d, &source))?;
        self.modules.next_id += 1;
        let id = self.modules.next_id;
        let prev = self.names.set_module(id);
        let compiled = compile::compile_chunk(&ast, source.clone(), &mut self.names, &format!("<module {name}>"));
        self.names.set_module(prev);
        let compiled = compiled.map_err(|d| compile_error(name, &d, &source))?;
        self.sync_globals();

        self.modules.by_path.insert(path.to_path_buf(), Slot::Loading);
        self.modules.chain.push(name.to_string());
        self.modules.protos.push(compiled.main.clone());
        let r = self.run_module(compiled.main);
        self.modules.chain.pop();
        if let Err(e) = r {
            self.modules.by_path.remove(path);
            return Err(e);
        }
        let mut shape = Vec::new();
        let mut values = Vec::new();
        for export in &compiled.exports {
            let g = self.names.intern_in(id, export) as usize;
            self.sync_globals();
            if self.gstates[g] != gstate::UNDEFINED {
                shape.push(Rc::from(export.as_str()));
                values.push(self.globals[g].clone());
            }
        }
        let ns = Value::Struct(Rc::new(StructObj {
            name: Rc::from(format!("{NAMESPACE_PREFIX}{name}")),
            ty: None,
            shape: shape.into(),
            values,
        }));
        self.modules.by_path.insert(path.to_path_buf(), Slot::Loaded(ns.clone()));
        Ok(ns)
    }

    fn run_module(&mut self, main: Rc<Proto>) -> Result<(), RuntimeError> {
        let closure = Rc::new(Closure { proto: main, captures: Default::default() });
        let height = self.stack.len();
        self.stack.push(Value::Func(closure.clone()));
        let base = height + 1;
        self.stack.grow_nulls(base + closure.proto.nslots as usize);
        let depth = self.frames.len();
        self.frames.push(Frame { closure, pc: 0, base, ret: height });
        let r = self.run(depth);
        self.stack.truncate(height);
        r.map(|_| ())
    }
}

fn compile_error(name: &str, diags: &[crate::diag::Diagnostic], source: &Source) -> RuntimeError {
    let rendered: String = diags.iter().map(|d| d.render(source)).collect();
    RuntimeError::new(format!("Cannot import '{name}': it has errors\n{}", rendered.trim_end()))
}
