//! ingot components, one folder per component, named like the component.
