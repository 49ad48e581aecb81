// SPDX-License-Identifier: GPL-2.0

//! A misc device (`/dev/<name>`) that owns its data, which Linux 7.3's `kernel::miscdevice`
//! cannot express: its [`MiscDeviceRegistration`](kernel::miscdevice::MiscDeviceRegistration)
//! takes a `&'static CStr` name, no parent and no sysfs attributes, its files have neither
//! `llseek` nor plain `read` and `write` nor `mmap_prepare`, and `open` is handed only the
//! registration.
//!
//! - [`MiscFile`] (`file_ops.rs`): what the files of such a device do, each call given the
//!   device's data, and [`FileOps`], the C operations that call it.
//! - [`Registration`] (`registration.rs`): the device registered with its data, a parent, its
//!   [`FileOps`] and its attributes; the `struct miscdevice` with the data beside it, which the
//!   C callbacks reach (`with_data.rs`).
//! - [`Attribute`] (`attribute.rs`): a read-only sysfs attribute of the device, shown from its
//!   data.
//! - [`MappingSpace`] (`mapping_space.rs`, `mapping_space.c`): the address space every open file
//!   of the device maps through, so that all its user mappings can be revoked at once.
//!
//! Every unsafe step that reaches a device's data from a C callback (a file's `open`, an
//! attribute's `show`) rests on one invariant kept inside this module: the C operations of a
//! `T` device ([`FileOps`], [`AttributeGroups`]) reach the misc core only through
//! [`Registration::<T>::register`](Registration::register), so the `struct miscdevice` a callback
//! gets is always beside the data of a `T` device.

mod attribute;
mod file_ops;
mod mapping_space;
mod registration;
mod with_data;

pub(crate) use attribute::{
    Attribute,
    AttributeGroup,
    AttributeGroups,
    AttributeList,
    SysfsText, //
};
pub(crate) use file_ops::{
    FileOps,
    MiscFile, //
};
pub(crate) use mapping_space::MappingSpace;
pub(crate) use registration::Registration;
